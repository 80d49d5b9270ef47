"""Errors as JSON that name the field, mapped from what the services raise (one table)."""

from __future__ import annotations

import logging
import re
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from signal_copier.core.dashboard import FloodWait, NotAuthenticated, TelegramLoginRejected
from signal_copier.core.errors import (
    BrokerRejected,
    CopierError,
    InvalidInput,
    QuotaExceeded,
    Rejected,
    Retryable,
)

log = logging.getLogger(__name__)
_FIELD = re.compile(r"^([a-z_][a-z0-9_.]*): ")
NO_STORE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


class Forbidden(Rejected):
    """The caller may not act on another user's data."""


class BadJson(InvalidInput):
    """The body is not JSON the API accepts (malformed, or nested too deeply)."""


class TooMany(Rejected):
    """Rate limited: try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests: try again in {retry_after} s")
        self.retry_after = retry_after


# Service errors → HTTP status (first match wins: subclasses before their bases).
_STATUS: tuple[tuple[type[CopierError], int], ...] = (
    (NotAuthenticated, 401),
    (Forbidden, 403),
    (TooMany, 429),
    (BadJson, 400),
    (FloodWait, 429),
    (InvalidInput, 422),
    (BrokerRejected, 422),
    (QuotaExceeded, 409),
    (TelegramLoginRejected, 409),
    (Rejected, 409),
    (Retryable, 503),
)


def error(status: int, message: str, field: str = "", **extra: Any) -> JSONResponse:
    """Return the API's error body: {"error": {"message", "field"?, ...}}."""
    body: dict[str, Any] = {"message": message, **extra}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status, headers=NO_STORE)


async def on_copier_error(_: Request, exc: Exception) -> JSONResponse:
    """Map a service error to its status; the field comes from a 'field: message' detail."""
    assert isinstance(exc, CopierError)
    status = next(code for kind, code in _STATUS if isinstance(exc, kind))
    message = str(exc)
    match = _FIELD.match(message)
    response = error(status, message, match.group(1) if match else "", reason=str(exc.reason))
    wait = getattr(exc, "retry_after", None) or getattr(exc, "seconds", None)
    if isinstance(exc, Retryable):
        wait = wait or 5
    if wait:
        response.headers["Retry-After"] = str(int(wait))
    return response


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """Answer 422 with every bad field named."""
    assert isinstance(exc, ValidationError)
    fields = [
        {"field": ".".join(str(p) for p in item["loc"]) or "body", "message": item["msg"]}
        for item in exc.errors(include_url=False, include_input=False)
    ]
    first = fields[0] if fields else {"field": "body", "message": "invalid"}
    return error(422, f"{first['field']}: {first['message']}", first["field"], fields=fields)


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    """Answer Starlette's own errors (404, 405, 413 body too large) as JSON."""
    assert isinstance(exc, HTTPException)
    return error(exc.status_code, str(exc.detail))


async def on_unexpected(_: Request, exc: Exception) -> JSONResponse:
    """Log and answer 500 without internals."""
    log.error("api: unexpected %s", type(exc).__name__, exc_info=exc)
    return error(500, "internal error")


HANDLERS = {
    CopierError: on_copier_error,
    ValidationError: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
