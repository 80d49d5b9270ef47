"""One JSON line per log record: severity, message, and the trace id that follows a message."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO

TRACE_FIELD = "logging.googleapis.com/trace"
_trace: ContextVar[str] = ContextVar("signal_copier_trace", default="")

# Last line of defence: anything shaped like a token or key never reaches the log.
_SECRET = re.compile(
    r"(?i)(token|secret|password|api[_-]?key|session)(['\"]?\s*[:=]\s*)(['\"]?)[^\s'\",}]+"
)


class JsonFormatter(logging.Formatter):
    """Format records as Cloud Logging-style JSON lines."""

    def format(self, record: logging.LogRecord) -> str:
        """Return the record as one JSON line."""
        message = _SECRET.sub(r"\1\2\3***", record.getMessage())
        entry = {"severity": record.levelname, "message": message, "logger": record.name}
        trace = getattr(record, "trace_id", None) or _trace.get()
        if trace:
            entry["trace_id"] = trace
            entry[TRACE_FIELD] = trace
        if record.exc_info:
            entry["exception"] = _SECRET.sub(r"\1\2\3***", self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send the copier's logs as JSON lines to `stream` (stderr by default)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("signal_copier")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@contextmanager
def trace(trace_id: str) -> Iterator[None]:
    """Tag every log line written inside the block (this task only) with `trace_id`."""
    token = _trace.set(trace_id)
    try:
        yield
    finally:
        _trace.reset(token)


def current_trace() -> str:
    """Return the trace id of the running block, or ""."""
    return _trace.get()
