"""One JSON line per log record: severity, message, and the trace id that follows a message."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import TextIO

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
        trace = getattr(record, "trace_id", None)
        if trace:
            entry["trace_id"] = trace
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
