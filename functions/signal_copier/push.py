"""Pub/Sub push deliveries to HTTP functions: decode the envelope, check who sent it, map errors.

The answer tells Pub/Sub what to do: 2xx acknowledges (done; or Rejected, or malformed — both
recorded in the log), 5xx redelivers (Retryable, or a bug). A malformed envelope is
acknowledged, never retried forever, and never crashes the process.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from signal_copier import logs
from signal_copier.auth.push_token import PushRefused
from signal_copier.core.errors import CopierError, InvalidInput, Rejected, Retryable
from signal_copier.services.deps import Deps

MAX_BODY_BYTES = 12 * 1024 * 1024  # a Pub/Sub message is at most 10 MB, base64 adds a third
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class PushMessage:
    """One decoded push delivery."""

    data: dict[str, Any]
    attributes: Mapping[str, str] = field(default_factory=dict)
    message_id: str = ""
    subscription: str = ""
    delivery_attempt: int | None = None  # only logged: the emulator never sends it

    @property
    def trace(self) -> str:
        """Return the trace id that travels as an attribute (the message id if none)."""
        return self.attributes.get("trace") or self.message_id


Work = Callable[[PushMessage, Deps, datetime], Awaitable[str]]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Return the real time (production's clock)."""
    return datetime.now(UTC)


def decode_push(body: bytes) -> PushMessage:
    """Decode a push body; raise InvalidInput naming the first bad field."""
    if len(body) > MAX_BODY_BYTES:
        raise InvalidInput(f"push body: larger than {MAX_BODY_BYTES} bytes")
    envelope = _object(_json(body, "push body"), "push body")
    message = _object(envelope.get("message"), "message")
    raw = message.get("data")
    if not isinstance(raw, str):
        raise InvalidInput("message.data: expected a base64 string")
    try:
        data = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as e:
        raise InvalidInput("message.data: not base64") from e
    attributes = message.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
    ):
        raise InvalidInput("message.attributes: expected an object of strings")
    message_id = message.get("messageId", message.get("message_id", ""))
    attempt = envelope.get("deliveryAttempt")
    return PushMessage(
        data=_object(_json(data, "message.data"), "message.data"),
        attributes=attributes,
        message_id=message_id if isinstance(message_id, str) else "",
        subscription=str(envelope.get("subscription") or ""),
        delivery_attempt=attempt if isinstance(attempt, int) else None,
    )


async def answer(
    request: Request,
    entry: str,
    work: Work,
    deps: Callable[[], Awaitable[Deps]],
    check: Callable[[str | None, str], Awaitable[None]],
    clock: Clock = utc_now,
) -> JSONResponse:
    """Run one push delivery through `work` at `clock()`; answer what Pub/Sub must do next."""
    try:
        await check(request.headers.get("authorization"), entry)
        resolved = await deps()
    except PushRefused as e:
        _log.warning("%s: push refused (%d): %s", entry, e.status, e)
        return JSONResponse({"status": "refused"}, status_code=e.status)
    except CopierError as e:  # settings or wiring broken: keep the message until it is fixed
        _log.error("%s: cannot serve: %s", entry, e)
        return JSONResponse({"status": "unavailable"}, status_code=500)
    try:
        push = decode_push(await request.body())
    except InvalidInput as e:
        _log.error("%s: malformed push acknowledged: %s", entry, e)
        return JSONResponse({"status": "malformed"})
    with logs.trace(push.trace):
        return await _run(entry, push, work, resolved, clock())


async def _run(
    entry: str, push: PushMessage, work: Work, deps: Deps, now: datetime
) -> JSONResponse:
    if push.delivery_attempt is not None:
        _log.info("%s: message %s, attempt %d", entry, push.message_id, push.delivery_attempt)
    try:
        outcome = await work(push, deps, now)
    except InvalidInput as e:
        _log.error("%s: malformed message %s acknowledged: %s", entry, push.message_id, e)
        return JSONResponse({"status": "malformed"})
    except Rejected as e:
        _log.warning("%s: message %s rejected: %s", entry, push.message_id, e.reason)
        return JSONResponse({"status": "rejected", "reason": str(e.reason)})
    except Retryable as e:
        _log.warning("%s: message %s will be redelivered: %s", entry, push.message_id, e)
        return JSONResponse({"status": "retry", "reason": str(e.reason)}, status_code=503)
    except CopierError as e:  # neither kind: a bug in the copier's own error classes
        _log.exception("%s: message %s failed", entry, push.message_id)
        return JSONResponse({"status": "error", "reason": str(e.reason)}, status_code=500)
    return JSONResponse({"status": outcome})


def _json(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:  # RecursionError: deep nesting
        raise InvalidInput(f"{where}: not JSON (or nested too deep)") from e


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where}: expected an object")
    return value
