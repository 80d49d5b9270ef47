"""Records ↔ Firestore documents: native maps and Timestamps, and ids made valid as document ids.

Values: a dataclass becomes a map of its fields, a tuple or list an array, a datetime a
Timestamp (aware only), an enum its value and a `Decimal` its exact string (Firestore has no
decimal type, and prices never pass through floats). Reading goes through `store.decode`, so a
document that no longer fits its record raises StoreCorrupt naming the document.

Document ids (`doc_id`): every character outside `A-Z a-z 0-9 - _ @ : +` becomes `%XX` per UTF-8
byte (so `%` itself is `%25`), and a leading `_` becomes `%5F`. This is percent-encoding, so
`key_of` (percent-decoding) inverts it and the mapping is injective; its output never contains
`/`, is never `.` or `..`, never matches the reserved `__.*__`, and ids over 1,500 bytes are
refused. The ids the copier uses today pass unchanged: `tg123456789`, `-1001234567890`,
`@gold_signals`, `-1001234567890:812:0`, intent hashes, `2026-01-05`.
"""

from __future__ import annotations

import dataclasses
import re
import string
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from urllib.parse import unquote

from signal_copier.core.errors import InvalidInput
from signal_copier.store import StoreCorrupt, decode

T = TypeVar("T")
MAX_ID_BYTES = 1500
_SAFE = frozenset(string.ascii_letters + string.digits + "-_@:+")
_INT64 = (-(2**63), 2**63 - 1)
_RESERVED_FIELD = re.compile(r"__.*__")


def doc_id(key: str) -> str:
    """Return `key` as a valid document id (injective; see the module docstring)."""
    if not isinstance(key, str) or not key:
        raise InvalidInput(f"document id must be a non-empty string, got {key!r}")
    encoded = "".join(c if c in _SAFE else _escape(c) for c in key)
    if encoded.startswith("_"):
        encoded = "%5F" + encoded[1:]
    if len(encoded.encode()) > MAX_ID_BYTES:
        raise InvalidInput(f"id too long for a document id ({len(encoded)} bytes): {key[:40]!r}…")
    return encoded


def key_of(document_id: str) -> str:
    """Return the key a document id was made from (the inverse of `doc_id`)."""
    return unquote(document_id, errors="strict")


def _escape(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def to_native(value: Any, path: str = "record") -> Any:
    """Return `value` as Firestore values; raise InvalidInput naming the field it cannot hold."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | float | str):
        return value
    if isinstance(value, int | Decimal | datetime):
        return _scalar(value, path)
    if isinstance(value, list | tuple):
        return [_element(item, f"{path}[]") for item in value]
    if isinstance(value, dict):
        return {_field(key, path): to_native(item, f"{path}.{key}") for key, item in value.items()}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return {f.name: to_native(getattr(value, f.name), f"{path}.{f.name}") for f in fields}
    raise InvalidInput(f"{path}: cannot store a {type(value).__name__}")


def _scalar(value: int | Decimal | datetime, path: str) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput(f"{path}: naive datetime (times must be timezone-aware)")
        return value.astimezone(UTC)
    if not _INT64[0] <= value <= _INT64[1]:
        raise InvalidInput(f"{path}: integer out of Firestore's 64-bit range")
    return value


def record_of(cls: type[T], data: dict[str, Any] | None, where: str) -> T:
    """Rebuild a record from a document's fields; StoreCorrupt naming `where` if it cannot."""
    if data is None:
        raise StoreCorrupt(f"{where}: document has no fields")
    return decode(cls, data, where)


def _element(item: Any, path: str) -> Any:
    native = to_native(item, path)
    if isinstance(native, list):
        raise InvalidInput(f"{path}: Firestore cannot hold an array directly inside an array")
    return native


def _field(key: Any, path: str) -> str:
    name = str(key.value if isinstance(key, Enum) else key)
    if not name or _RESERVED_FIELD.fullmatch(name):
        raise InvalidInput(f"{path}: {name!r} cannot be a Firestore field name")
    return name
