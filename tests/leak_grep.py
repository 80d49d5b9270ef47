"""Looking for secrets where they must never be: every logger at DEBUG captured in one buffer,
every Firestore document flattened to its bytes, and the forms a leaked secret would take."""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from google.cloud import firestore

from signal_copier import logs

# Loggers that do not pass records up to the root get the capture handler themselves:
# google-api-core stops "google" from propagating unless it is configured first (as here), and
# servers started by earlier tests may have configured uvicorn's loggers the same way.
ALWAYS = ("", "google", "signal_copier")


def forms(value: bytes) -> list[bytes]:
    """Return the encodings a leaked secret may appear in (raw, hex, base64, escaped)."""
    escaped = repr(value)[2:-1].encode()  # how bytes print, e.g. in a log line
    return [
        value,
        value.hex().encode(),
        base64.b64encode(value),
        base64.urlsafe_b64encode(value).rstrip(b"="),
        escaped,
        json.dumps(escaped.decode())[1:-1].encode(),  # that, inside a JSON log line
    ]


def leaks(places: Mapping[str, bytes], secrets: Mapping[str, bytes]) -> list[str]:
    """Return `secret in place` for every secret found in some form in some place."""
    return [
        f"{name} in {where}"
        for where, text in places.items()
        for name, value in secrets.items()
        if any(form in text for form in forms(value))
    ]


def _loggers() -> list[logging.Logger]:
    found = [v for v in logging.root.manager.loggerDict.values() if isinstance(v, logging.Logger)]
    return [logging.getLogger(name) for name in ALWAYS] + found


@pytest.fixture
def capture() -> Iterator[logging.StreamHandler[io.StringIO]]:
    """Send every logger, the root and every SDK one, at DEBUG into one buffer."""
    handler = logging.StreamHandler(io.StringIO())
    handler.setFormatter(logs.JsonFormatter())
    handler.setLevel(logging.DEBUG)
    google = logging.getLogger("google")
    was_propagating, google.propagate = google.propagate, False  # captured itself: once
    every = _loggers()
    saved = [(lg, lg.level) for lg in every]
    holders = [lg for lg in every if lg.name in ALWAYS or lg is logging.root or not lg.propagate]
    for lg in every:
        lg.setLevel(logging.DEBUG)
    for lg in holders:
        lg.addHandler(handler)
    yield handler
    for lg in _loggers():
        lg.removeHandler(handler)
    for lg, level in saved:
        lg.setLevel(level)
    google.propagate = was_propagating


def escaped(handler: logging.Handler) -> list[str]:
    """Return loggers whose records reach no logger holding the capture handler."""
    found = []
    for name, lg in logging.root.manager.loggerDict.items():
        current: logging.Logger | None = lg if isinstance(lg, logging.Logger) else None
        while current is not None and handler not in current.handlers:
            current = current.parent if current.propagate else None
        if isinstance(lg, logging.Logger) and current is None:
            found.append(name)
    return found


async def firestore_dump(project: str) -> bytes:
    """Return every document of the database, each as its path and its flattened values."""
    client = firestore.AsyncClient(project=project)
    found: list[bytes] = []

    async def walk(collections: Any) -> None:
        async for collection in collections:
            async for reference in collection.list_documents():  # parents may not exist
                snapshot = await reference.get()
                if snapshot.exists:
                    found.append(reference.path.encode() + b" " + _flat(snapshot.to_dict()))
                await walk(reference.collections())

    await walk(client.collections())
    client.close()
    return b"\n".join(found)


def _flat(value: Any) -> bytes:
    # Bytes stay raw (repr would hide a leaked key behind escapes); everything else as text.
    if isinstance(value, bytes):
        return value
    if isinstance(value, Mapping):
        return b" ".join(str(k).encode() + b"=" + _flat(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return b" ".join(_flat(v) for v in value)
    return str(value).encode()
