"""Routes that change the caller's setup: broker, Telegram, channels, risk, Start/Stop, kill,
and taking the secrets back (remove the broker credentials, unlink Telegram)."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from signal_copier.api import models
from signal_copier.api.context import ApiPorts, body, client_ip, owner, ports, trading_now
from signal_copier.api.errors import NO_STORE
from signal_copier.core import codec
from signal_copier.core.market import Credentials
from signal_copier.services import disconnect, onboarding
from signal_copier.services.preview import preview


def ok(data: dict[str, Any], status: int = 200) -> JSONResponse:
    """Return a JSON answer that no cache keeps."""
    return JSONResponse(data, status_code=status, headers=NO_STORE)


def _where(request: Request) -> tuple[ApiPorts, str]:
    p = ports(request)
    return p, client_ip(request, p.limits.trusted_proxies)


def _changed(p: ApiPorts, uid: str, *topics: str) -> None:
    if p.changes is not None:
        p.changes.notify(uid, *topics)


async def connect_broker(request: Request) -> JSONResponse:
    """Verify the MetaAPI account by reading it, then store it (the token encrypted)."""
    uid = await owner(request)
    payload = await body(request, models.BrokerPayload)
    p, ip = _where(request)
    credentials = Credentials(account_id=payload.account_id, token=payload.token)
    profile, info = await onboarding.connect_broker(p.web, uid, credentials, p.clock(), ip)
    p.accounts.forget(uid)
    _changed(p, uid, "profile", "account", "activity")
    return ok(
        {
            "profile": codec.to_dict(profile),
            "balance": str(info.balance),
            "currency": info.currency,
            "margin_mode": str(info.margin_mode),
            "netting_note": onboarding.netting_note(info),
        }
    )


async def disconnect_broker(request: Request) -> JSONResponse:
    """Remove the broker credentials: copying pauses, open positions stay as they are."""
    uid = await owner(request)
    p, ip = _where(request)
    removed = await disconnect.disconnect_broker(p.web, uid, p.clock(), ip)
    p.accounts.forget(uid)
    _changed(p, uid, "profile", "account", "activity")
    return ok(
        {
            "connected": False,
            "released_account": removed.account_id,
            "paused_reason": str(removed.paused_reason),
            "open_positions": "left as they are; the copier no longer manages them",
        }
    )


async def unlink_telegram(request: Request) -> JSONResponse:
    """Unlink the Telegram session: logged out at Telegram, then forgotten here."""
    uid = await owner(request)
    p, ip = _where(request)
    unlinked = await disconnect.unlink_telegram(p.web, uid, p.clock(), ip)
    _changed(p, uid, "profile", "bot", "chats", "channels", "activity")
    return ok(
        {"linked": False, "unfollowed": unlinked.unfollowed, "session": unlinked.session.value}
    )


async def telegram(request: Request) -> JSONResponse:
    """Run one Telegram link step: phone, code or password."""
    uid = await owner(request)
    step = str(request.path_params["step"])
    if step not in _STEPS:
        raise HTTPException(404, f"no Telegram step {step!r}")
    model, field = _STEPS[step]
    payload = await body(request, model)
    p, ip = _where(request)
    result = await onboarding.telegram_step(
        p.web, uid, step, getattr(payload, field), p.clock(), ip
    )
    _changed(p, uid, "profile", "bot", "chats", "activity")  # linked: a listener lists chats
    return ok({"stage": str(result.stage), "hint": result.hint})


_STEPS: dict[str, tuple[type[Any], str]] = {
    "phone": (models.PhonePayload, "phone"),
    "code": (models.CodePayload, "code"),
    "password": (models.PasswordPayload, "password"),
}


async def cancel_telegram(request: Request) -> JSONResponse:
    """Forget a pending Telegram login."""
    uid = await owner(request)
    p, ip = _where(request)
    await onboarding.cancel_telegram(p.web, uid, p.clock(), ip)
    return ok({"cancelled": True})


async def follow(request: Request) -> JSONResponse:
    """Follow a chat the user's session can read (free plan: at most 2)."""
    uid = await owner(request)
    payload = await body(request, models.ChannelPayload)
    chat_id = models.chat_id(str(request.path_params["chat_id"]))
    p, ip = _where(request)
    sub = await onboarding.follow(p.web, uid, chat_id, payload.overrides, p.clock(), ip)
    _changed(p, uid, "channels", "profile", "activity")
    return ok({"chat_id": sub.chat_id, "overrides": sub.overrides})


async def unfollow(request: Request) -> JSONResponse:
    """Stop following a chat."""
    uid = await owner(request)
    chat_id = models.chat_id(str(request.path_params["chat_id"]))
    p, ip = _where(request)
    await onboarding.unfollow(p.web, uid, chat_id, p.clock(), ip)
    _changed(p, uid, "channels", "activity")
    return ok({"chat_id": chat_id, "followed": False})


async def save_settings(request: Request) -> JSONResponse:
    """Replace the risk settings (validated against the schema the form is drawn from)."""
    uid = await owner(request)
    payload = await body(request, models.TradeSettings)
    p, ip = _where(request)
    user = await onboarding.save_settings(p.web, uid, payload, p.clock(), ip)
    _changed(p, uid, "profile", "activity")
    return ok({"settings": user.settings})


async def preview_signal(request: Request) -> JSONResponse:
    """Show what a sample signal would do on this account with the settings being edited."""
    uid = await owner(request)
    payload = await body(request, models.PreviewPayload)
    p = ports(request)
    return ok(await preview(p.web.deps, uid, payload.settings, payload.text, trading_now(p)))


async def control(request: Request) -> JSONResponse:
    """Start, stop or resume copying."""
    uid = await owner(request)
    action = str(request.path_params["action"])
    if action not in ("start", "stop", "resume"):
        raise HTTPException(404, f"no action {action!r}")
    p, ip = _where(request)
    if action == "resume":
        user = await onboarding.resume(p.web, uid, p.clock(), ip)
    else:
        user = await onboarding.set_running(p.web, uid, action == "start", p.clock(), ip)
    _changed(p, uid, "profile", "activity")
    return ok({"active": user.active, "paused_reason": str(user.paused_reason)})


async def kill_switch(request: Request) -> JSONResponse:
    """Pause and close everything the copier opened (after the typed confirmation)."""
    uid = await owner(request)
    await body(request, models.KillPayload)
    p, ip = _where(request)
    report = await onboarding.kill(p.web, uid, p.clock(), ip)
    p.accounts.forget(uid)
    _changed(p, uid, "profile", "account", "activity")
    still_open = [
        {"kind": s.kind, "target": s.target, "symbol": s.symbol, "error": s.error}
        for s in report.still_open
    ]
    return ok(
        {
            "changes": len(report.changes),
            "still_open": still_open,
            "errors": list(report.errors),
            "complete": report.complete,
            "paused_reason": "kill_switch",
        }
    )


ROUTES = [
    Route("/api/users/{uid}/broker", connect_broker, methods=["POST"]),
    Route("/api/users/{uid}/broker", disconnect_broker, methods=["DELETE"]),
    Route("/api/users/{uid}/telegram/session", unlink_telegram, methods=["DELETE"]),
    Route("/api/users/{uid}/telegram/{step:str}", telegram, methods=["POST"]),
    Route("/api/users/{uid}/telegram", cancel_telegram, methods=["DELETE"]),
    Route("/api/users/{uid}/channels/{chat_id:str}", follow, methods=["PUT"]),
    Route("/api/users/{uid}/channels/{chat_id:str}", unfollow, methods=["DELETE"]),
    Route("/api/users/{uid}/settings", save_settings, methods=["PUT"]),
    Route("/api/users/{uid}/preview", preview_signal, methods=["POST"]),
    Route("/api/users/{uid}/kill", kill_switch, methods=["POST"]),
    Route("/api/users/{uid}/{action:str}", control, methods=["POST"]),
]
