"""Sign-in routes: Telegram (OpenID Connect, the legacy widget) in the cloud, a one-time link
locally. Each answers a token the dashboard signs in with; failures are 401."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from signal_copier.api import models
from signal_copier.api.context import ApiPorts, body, client_ip, limit, ports
from signal_copier.api.setup import ok
from signal_copier.core.dashboard import AuditAction
from signal_copier.services import audit


async def config(request: Request) -> JSONResponse:
    """Tell the page which data module to load (local SSE or cloud Firestore)."""
    p = ports(request)
    return ok({"mode": p.mode, "telegram_login": p.sign_in is not None})


async def settings_schema(request: Request) -> JSONResponse:
    """Return the JSON Schema the risk form is drawn from."""
    return ok(models.settings_schema())


async def _login_limit(request: Request) -> tuple[ApiPorts, str]:
    p = ports(request)
    ip = client_ip(request, p.limits.trusted_proxies)
    await limit(request, f"login:{ip}", p.limits.login_per_ip)
    return p, ip


async def local_login(request: Request) -> JSONResponse:
    """Trade `serve`'s one-time link code for a session token."""
    p, _ = await _login_limit(request)
    if p.local_links is None:
        raise HTTPException(404, "local login links exist only in `signal-copier serve`")
    payload = await body(request, models.LocalLoginPayload)
    token = await p.local_links.redeem(payload.code)
    caller = await p.auth.verify(token)
    return ok({"token": token, "user_id": caller.user_id})


async def telegram_start(request: Request) -> JSONResponse:
    """Begin Log In With Telegram: a fresh state, nonce and PKCE challenge (kept 10 min)."""
    p, _ = await _login_limit(request)
    if p.sign_in is None:
        raise HTTPException(404, "Telegram login is not configured here")
    return ok(await p.sign_in.start(p.clock()))


async def telegram_callback(request: Request) -> JSONResponse:
    """Finish OpenID Connect: exchange the code, verify the ID token, mint a custom token."""
    p, ip = await _login_limit(request)
    if p.sign_in is None:
        raise HTTPException(404, "Telegram login is not configured here")
    payload = await body(request, models.OidcCallbackPayload)
    telegram_id = await p.sign_in.callback(payload.code, payload.state, p.clock())
    return await _signed_in(p, telegram_id, ip, "oidc")


async def telegram_widget(request: Request) -> JSONResponse:
    """Accept the legacy Login Widget payload after its HMAC and age check."""
    p, ip = await _login_limit(request)
    if p.sign_in is None:
        raise HTTPException(404, "Telegram login is not configured here")
    payload = await body(request, models.WidgetPayload)
    telegram_id = await p.sign_in.widget(payload.query, p.clock())
    return await _signed_in(p, telegram_id, ip, "widget")


async def _signed_in(p: ApiPorts, telegram_id: int, ip: str, how: str) -> JSONResponse:
    user_id = f"tg{telegram_id}"
    token = await p.auth.mint(user_id, {"tg_id": telegram_id})
    await audit.record(p.web.web, user_id, AuditAction.SIGNED_IN, p.clock(), ip, method=how)
    return ok({"token": token, "user_id": user_id})


ROUTES = [
    Route("/api/config", config, methods=["GET"]),
    Route("/api/schema/settings", settings_schema, methods=["GET"]),
    Route("/api/auth/local", local_login, methods=["POST"]),
    Route("/api/auth/telegram/start", telegram_start, methods=["POST"]),
    Route("/api/auth/telegram/callback", telegram_callback, methods=["POST"]),
    Route("/api/auth/telegram/widget", telegram_widget, methods=["POST"]),
]
