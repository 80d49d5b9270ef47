"""Routes the live pages read: profile, account, trades, signal log, quota, health, activity."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from signal_copier.api import models
from signal_copier.api.context import owner, ports, trading_now
from signal_copier.api.errors import NO_STORE
from signal_copier.api.setup import ok
from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput
from signal_copier.core.quotas import channel_limit
from signal_copier.core.records import Plan
from signal_copier.services import views

KEEPALIVE_S = 15.0


async def me(request: Request) -> JSONResponse:
    """Return the user's profile, state and settings (what the wizard resumes from)."""
    uid = await owner(request)
    p = ports(request)
    user = await p.web.deps.store.get_user(uid)
    profile = await p.web.web.profile(uid)
    plan = user.plan if user else Plan.FREE
    return ok(
        {
            "user_id": uid,
            "mode": p.mode,
            "profile": codec.to_dict(profile),
            "plan": str(plan),
            "channel_limit": channel_limit(plan),
            "active": bool(user and user.active),
            "paused_reason": str(user.paused_reason) if user else "",
            "settings": user.settings if user else {},
        }
    )


async def account(request: Request) -> JSONResponse:
    """Return balance, equity, connection and open copied positions (short cache)."""
    uid = await owner(request)
    p = ports(request)
    return ok(await p.accounts.snapshot(p.web, uid))


async def trades(request: Request) -> JSONResponse:
    """Return the user's trade records, newest first, each with its message."""
    uid = await owner(request)
    return ok({"trades": await views.trades(ports(request).web, uid)})


async def signal_log(request: Request) -> JSONResponse:
    """Return one followed chat's signal log beside what was done for this user."""
    uid = await owner(request)
    p = ports(request)
    chat_id = models.chat_id(request.query_params.get("chat", ""))
    followed = {s.chat_id for s in await p.web.deps.store.subscriptions(uid)}
    if chat_id not in followed:
        raise InvalidInput("chat: follow this chat to see its signal log")
    before = _int(request.query_params.get("before"), "before")
    limit = min(_int(request.query_params.get("limit"), "limit") or 50, 200)
    return ok({"entries": await views.signal_log(p.web, uid, chat_id, before, limit)})


async def usage(request: Request) -> JSONResponse:
    """Return today's quota use and trades missed for quota."""
    uid = await owner(request)
    p = ports(request)
    return ok(await views.usage(p.web, uid, trading_now(p)))


async def bot(request: Request) -> JSONResponse:
    """Return the Telegram session's health."""
    uid = await owner(request)
    status = await ports(request).web.web.bot_status(uid)
    return ok(codec.to_dict(status) if status else {"state": "unlinked", "detail": ""})


async def activity(request: Request) -> JSONResponse:
    """Return the user's own audit trail, newest first."""
    uid = await owner(request)
    events = await ports(request).web.web.activity(uid, 100)
    return ok({"activity": [codec.to_dict(e) for e in events]})


async def chats(request: Request) -> JSONResponse:
    """Return the chats the user's session reads, each marked when followed."""
    uid = await owner(request)
    p = ports(request)
    subs = {s.chat_id: s.overrides for s in await p.web.deps.store.subscriptions(uid)}
    rows = [
        {**codec.to_dict(c), "followed": c.chat_id in subs} for c in await p.web.web.user_chats(uid)
    ]
    return ok({"chats": rows})


async def events(request: Request) -> StreamingResponse:
    """Stream 'something changed' notices (server-sent events) while the page is open."""
    uid = await owner(request)
    feed = ports(request).changes
    if feed is None:
        raise InvalidInput("events: live updates come from Firestore listeners in this mode")
    return StreamingResponse(
        _stream(feed.listen(uid)),
        media_type="text/event-stream",
        headers={**NO_STORE, "X-Accel-Buffering": "no"},
    )


async def _stream(queue: Any) -> AsyncIterator[bytes]:
    yield b": connected\n\n"
    with queue:
        while True:
            try:
                topics = await asyncio.wait_for(queue.get(), KEEPALIVE_S)
            except TimeoutError:
                yield b": keepalive\n\n"
                continue
            yield f"event: change\ndata: {json.dumps(sorted(topics))}\n\n".encode()


def _int(value: str | None, field: str) -> int | None:
    if value is None or value == "":
        return None
    if not value.isdigit() or len(value) > 18:
        raise InvalidInput(f"{field}: expected a positive integer")
    return int(value)


ROUTES = [
    Route("/api/users/{uid}", me, methods=["GET"]),
    Route("/api/users/{uid}/account", account, methods=["GET"]),
    Route("/api/users/{uid}/trades", trades, methods=["GET"]),
    Route("/api/users/{uid}/log", signal_log, methods=["GET"]),
    Route("/api/users/{uid}/usage", usage, methods=["GET"]),
    Route("/api/users/{uid}/bot", bot, methods=["GET"]),
    Route("/api/users/{uid}/activity", activity, methods=["GET"]),
    Route("/api/users/{uid}/chats", chats, methods=["GET"]),
    Route("/api/users/{uid}/events", events, methods=["GET"]),
]
