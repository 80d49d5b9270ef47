"""What every route shares: the ports, the caller, the body, rate limits."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel
from starlette.requests import Request

from signal_copier.api.errors import BadJson, Forbidden, TooMany
from signal_copier.core.dashboard import Caller, NotAuthenticated
from signal_copier.core.ports import Auth
from signal_copier.services.views import AccountCache
from signal_copier.services.webdeps import WebDeps

M = TypeVar("M", bound=BaseModel)
MAX_DEPTH = 8


class ChangeFeed(Protocol):
    """Tells open pages what changed (server-sent events, local mode)."""

    def notify(self, user_id: str | None, *topics: str) -> None: ...

    def listen(self, user_id: str) -> Any: ...


class SignIn(Protocol):
    """Telegram sign-in for the cloud (OpenID Connect and the legacy widget)."""

    async def start(self, now: datetime) -> dict[str, str]: ...

    async def callback(self, code: str, state: str, now: datetime) -> int: ...

    async def widget(self, query: str, now: datetime) -> int: ...


class LocalLinks(Protocol):
    async def redeem(self, code: str) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Requests per minute; `trusted_proxies` = proxies whose X-Forwarded-For entry counts.

    Reads (GET) and changes count in separate buckets, so a dashboard refreshing during a fast
    replay can never starve a change: the kill switch, Stop, a disconnect.
    """

    per_ip: int = 300
    per_user: int = 120
    per_ip_reads: int = 1200
    per_user_reads: int = 600
    login_per_ip: int = 10
    trusted_proxies: int = 0
    window: timedelta = timedelta(minutes=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiPorts:
    """What `create_app` is built from (the cloud function and `serve` pass their own)."""

    web: WebDeps
    auth: Auth
    mode: str = "local"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    trading_clock: Callable[[], datetime] | None = None  # the paper clock of a local replay
    sign_in: SignIn | None = None
    local_links: LocalLinks | None = None
    changes: ChangeFeed | None = None
    limits: Limits = Limits()
    accounts: AccountCache = field(default_factory=AccountCache)


def trading_now(p: ApiPorts) -> datetime:
    """Return the time trading decisions use (the replay's clock locally, else wall time)."""
    return (p.trading_clock or p.clock)()


def ports(request: Request) -> ApiPorts:
    """Return the app's ports."""
    found: ApiPorts = request.app.state.ports
    return found


def client_ip(request: Request, trusted_proxies: int) -> str:
    """Return the caller's address: the entry the nearest trusted proxy appended, else the peer."""
    peer = request.client.host if request.client else ""
    if trusted_proxies <= 0:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    return hops[-trusted_proxies] if len(hops) >= trusted_proxies else peer


async def limit(request: Request, key: str, allowed: int) -> None:
    """Count one request against `key`; TooMany with the seconds left when over `allowed`."""
    p = ports(request)
    now = p.clock()
    hits = await p.web.web.hit(key, now, p.limits.window)
    if hits > allowed:
        size = p.limits.window.total_seconds()
        left = size - (now.timestamp() % size)
        raise TooMany(max(1, int(left) + 1))


async def caller(request: Request) -> Caller:
    """Return the verified caller after the per-IP and per-user limits."""
    p = ports(request)
    ip, limits = client_ip(request, p.limits.trusted_proxies), p.limits
    reads = request.method in ("GET", "HEAD")
    bucket = ":read" if reads else ""
    await limit(request, f"ip:{ip}{bucket}", limits.per_ip_reads if reads else limits.per_ip)
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("sign in first (no bearer token)")
    found = await p.auth.verify(token.strip())
    allowed = limits.per_user_reads if reads else limits.per_user
    await limit(request, f"user:{found.user_id}{bucket}", allowed)
    return found


async def owner(request: Request) -> str:
    """Return the path's uid after checking it is the caller's own (403 otherwise)."""
    found = await caller(request)
    uid = str(request.path_params.get("uid", ""))
    if uid != found.user_id:
        raise Forbidden("you can only see and change your own account")
    return uid


async def body(request: Request, model: type[M]) -> M:
    """Parse and validate a JSON body; malformed or too deeply nested JSON is a 400."""
    raw = await request.body()
    try:
        data = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as e:
        raise BadJson("body: not valid JSON") from e
    if _depth(data) > MAX_DEPTH:
        raise BadJson(f"body: nested deeper than {MAX_DEPTH} levels")
    return model.model_validate(data)


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level


Handler = Callable[[Request], Awaitable[Any]]
