"""Store adapters: `sqlite.SqliteStore` (local) and the Firestore store (cloud).

This package imports neither adapter, so local mode never loads a cloud SDK. It holds what both
share: records to JSON-safe data and back, with a clear error when stored data is unreadable.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput, Rejected
from signal_copier.core.reasons import Reason

T = TypeVar("T")


class StoreCorrupt(Rejected):
    """Stored data cannot be read back (a bad row or a damaged file); retrying cannot help."""

    reason = Reason.STORE_CORRUPT


def encode(record: object) -> dict[str, Any]:
    """Return a record as JSON-safe data; raise InvalidInput if it holds a naive datetime."""
    try:
        return codec.to_dict(record)
    except ValueError as e:
        raise InvalidInput(f"{type(record).__name__}: {e}") from e


def decode(cls: type[T], data: Any, where: str) -> T:
    """Rebuild a record from stored data; raise StoreCorrupt naming `where` if it cannot."""
    try:
        return codec.from_dict(cls, data)
    except InvalidInput as e:
        raise StoreCorrupt(f"{where}: unreadable {cls.__name__} ({e})") from e


# Built once (json.dumps with options builds an encoder per call). Keys are not sorted: records
# come out in their fields' order, the same for the same record, and sorting was a third of
# the time of every stored record.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def dump_json(data: Any) -> str:
    """Return compact, strict JSON text; raise InvalidInput for values JSON cannot hold."""
    try:
        return _ENCODER.encode(data)
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"not JSON-safe: {e}") from e


def load_json(text: Any, where: str) -> Any:
    """Parse stored JSON text; raise StoreCorrupt naming `where` if it is not JSON."""
    try:
        return json.loads(text)
    except (TypeError, ValueError) as e:
        raise StoreCorrupt(f"{where}: not JSON ({e})") from e
