"""Logs: one JSON line per record (Cloud Logging's structured format), redacted, with a trace id.

`configure()` sets up the ROOT logger, so the SDKs' loggers (metaapi, telethon, google, httpx,
uvicorn) go through the same formatter and redaction as ours. Redaction also happens when a
record is created, so a handler someone adds later still never sees a secret.

Every line written while `trace(trace_id)` is active carries that trace id: a message and every
intent it fans out to are followed through on_message → on_intent → broker by one id.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TextIO, TypeVar, cast

from signal_copier.core.redact import redact

TRACE_FIELD = "logging.googleapis.com/trace"
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])

_trace: contextvars.ContextVar[str] = contextvars.ContextVar("copier_trace", default="")
_TRACE_ATTRIBUTE = "copier_trace"  # `trace_id` stays free for callers' `extra=`


def current_trace() -> str:
    """Return the trace id of the work in progress ("" outside any)."""
    return _trace.get()


def set_trace(trace_id: str) -> contextvars.Token[str]:
    """Mark every later line of this task with `trace_id`; pass the token to `reset_trace`."""
    return _trace.set(trace_id)


def reset_trace(token: contextvars.Token[str]) -> None:
    """Restore the trace id that was current before `set_trace`."""
    _trace.reset(token)


@contextmanager
def trace(trace_id: str) -> Iterator[None]:
    """Mark every line logged inside the block (and tasks started in it) with `trace_id`."""
    token = _trace.set(trace_id)
    try:
        yield
    finally:
        _trace.reset(token)


def traced(trace_of: Callable[..., str]) -> Callable[[F], F]:
    """Decorate an async use case so its lines carry the trace id `trace_of(*args)` returns."""

    def decorate(function: F) -> F:
        @wraps(function)
        async def run(*args: Any, **kwargs: Any) -> Any:
            # As `with trace(...)`, without a generator per call: every message and intent
            # goes through here.
            token = _trace.set(trace_of(*args, **kwargs))
            try:
                return await function(*args, **kwargs)
            finally:
                _trace.reset(token)

        return cast(F, run)

    return decorate


class JsonFormatter(logging.Formatter):
    """Format records as Cloud Logging structured JSON lines (severity, message, trace)."""

    def __init__(self, project: str = "") -> None:
        super().__init__()
        self.project = project

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one redacted JSON line."""
        entry: dict[str, Any] = {
            "severity": record.levelname,
            "message": redact(record.getMessage()),
            "logger": record.name,
        }
        trace_id = getattr(record, "trace_id", None) or getattr(record, _TRACE_ATTRIBUTE, "")
        if trace_id:
            entry[TRACE_FIELD] = (
                f"projects/{self.project}/traces/{trace_id}" if self.project else str(trace_id)
            )
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = redact(record.exc_text)
        if record.stack_info:
            entry["stack"] = redact(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure(level: str, stream: TextIO | None = None, *, project: str = "") -> None:
    """Send every logger's records, as redacted JSON lines, to `stream` (stderr by default).

    Args:
        level: the root level (DEBUG, INFO, WARNING, ERROR, CRITICAL).
        stream: where lines go.
        project: the Google Cloud project, so trace ids link to Cloud Trace ("" locally).
    """
    handler = logging.StreamHandler(stream) if stream else _StderrHandler()
    handler.setFormatter(JsonFormatter(project))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for logger in _existing_loggers():
        # A library's own console handler would print around the formatter and redaction.
        logger.handlers[:] = [h for h in logger.handlers if isinstance(h, logging.NullHandler)]
        logger.propagate = True
    # google-auth turns propagation off on first use unless "google" looks configured.
    google = logging.getLogger("google")
    if not google.handlers:
        google.addHandler(logging.NullHandler())
    logging.captureWarnings(True)
    _install_record_factory()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever sys.stderr is when a line is logged (tools and tests swap it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        pass


def _existing_loggers() -> Iterator[logging.Logger]:
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger):
            yield logger


def _install_record_factory() -> None:
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts", False):
        return

    def create(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        _redact_record(record)
        setattr(record, _TRACE_ATTRIBUTE, _trace.get())
        return record

    create.redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(create)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        text = record.getMessage()
    except Exception:  # a bad format string: the handler reports it as a logging error
        return
    clean = redact(text)
    if clean != text:  # only then lose the arguments (a formatter may want them structured)
        record.msg, record.args = clean, ()
    if record.exc_info:
        record.exc_text = redact(_PLAIN.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


_PLAIN = logging.Formatter()
