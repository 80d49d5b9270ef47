"""Domain values ↔ JSON-safe dicts: Decimal as string, datetime as ISO UTC, enums as values.

Converters are built once per type and cached: the pipeline encodes and decodes every record.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union

from signal_copier.core.errors import InvalidInput

T = TypeVar("T")
Decoder = Callable[[Any, str], Any]
MIN_INT, MAX_INT = -(2**63), 2**63 - 1  # what the stores (SQLite, Firestore) hold
# Representable, not plausible: whether a level makes sense is for the guards to say (and
# record); within these bounds Decimal arithmetic can neither overflow nor underflow.
MAX_EXPONENT = 100
MAX_DECIMAL_TEXT = 64


def to_dict(value: Any) -> dict[str, Any]:
    """Return a dataclass instance as a JSON-safe dict."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise TypeError(f"expected a dataclass instance, got {type(value).__name__}")
    return typing.cast(dict[str, Any], _encoder(typing.cast(Any, type(value)))(value))


def from_dict(cls: type[T], data: Any) -> T:
    """Build a dataclass from a dict made by `to_dict`; raise InvalidInput naming the field."""
    decoder = _decoder(typing.cast(Any, cls))
    return typing.cast(T, decoder(data, cls.__name__))


Encoder = Callable[[Any], Any]


@cache
def _encoder(tp: Any) -> Encoder:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        inner = _encoder(next(a for a in typing.get_args(tp) if a is not type(None)))
        return lambda value: None if value is None else inner(value)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        fields = [(f.name, _encoder(hints[f.name])) for f in dataclasses.fields(tp)]
        return lambda value: {name: enc(getattr(value, name)) for name, enc in fields}
    if origin is tuple:
        args = typing.get_args(tp)
        item = _encoder(args[0]) if len(args) == 2 and args[1] is Ellipsis else _encode
        return lambda value: [item(v) for v in value]
    if isinstance(tp, type) and issubclass(tp, Enum):
        return lambda value: value.value
    if tp is Decimal:
        return str
    if tp is datetime:
        return _iso
    return _encode  # plain values, dicts and Any: inspect at run time


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("naive datetime cannot be encoded")
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _encode(value: Any) -> Any:
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    if kind is Decimal:
        return str(value)
    if kind is datetime:
        return _iso(value)
    if isinstance(value, Enum):
        return value.value
    if kind in (list, tuple):
        return [_encode(v) for v in value]
    if kind is dict:
        return {str(k): _encode(v) for k, v in value.items()}
    return _encoder(typing.cast(Any, kind))(value)


@cache
def _decoder(tp: Any) -> Decoder:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        return _optional(tp)
    if tp is Any:
        return lambda data, path: data
    if dataclasses.is_dataclass(tp):
        return _record(tp)
    if origin is tuple:
        return _sequence(tp)
    if origin is dict or tp is dict:
        return _mapping
    if isinstance(tp, type) and issubclass(tp, Enum):
        return _enum(tp)
    if tp is Decimal:
        return _decimal
    if tp is datetime:
        return _datetime
    if tp in (str, int, float, bool):
        return _plain(tp)
    raise TypeError(f"no decoder for {tp!r}")


def _optional(tp: Any) -> Decoder:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    inner = _decoder(args[0])
    nullable = len(args) < len(typing.get_args(tp))

    def decode(data: Any, path: str) -> Any:
        if data is None and nullable:
            return None
        return inner(data, path)

    return decode


def _record(cls: Any) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls)]

    def decode(data: Any, path: str) -> Any:
        if not isinstance(data, dict):
            raise InvalidInput(f"{path}: expected an object")
        values = {name: conv(data[name], f"{path}.{name}") for name, conv in fields if name in data}
        try:
            return cls(**values)
        except TypeError as e:
            raise InvalidInput(f"{path}: {e}") from e

    return decode


def _sequence(tp: Any) -> Decoder:
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_items(data: Any, path: str) -> Any:
            if not isinstance(data, list | tuple):
                raise InvalidInput(f"{path}: expected a list")
            return tuple(item(v, f"{path}[]") for v in data)

        return decode_items
    convs = [_decoder(a) for a in args]

    def decode_fixed(data: Any, path: str) -> Any:
        if not isinstance(data, list | tuple) or len(data) != len(convs):
            raise InvalidInput(f"{path}: expected a list of {len(convs)}")
        return tuple(conv(v, f"{path}[]") for conv, v in zip(convs, data, strict=True))

    return decode_fixed


def _mapping(data: Any, path: str) -> Any:
    if not isinstance(data, dict):
        raise InvalidInput(f"{path}: expected an object")
    return dict(data)


def _enum(cls: type[Enum]) -> Decoder:
    def decode(data: Any, path: str) -> Any:
        try:
            return cls(data)
        except ValueError as e:
            raise InvalidInput(f"{path}: invalid value {data!r}") from e

    return decode


def _decimal(data: Any, path: str) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int | float):
        raise InvalidInput(f"{path}: invalid value {_shown(data)}")
    if isinstance(data, str) and len(data) > MAX_DECIMAL_TEXT:
        raise InvalidInput(f"{path}: a number of {len(data)} characters is not a price or volume")
    try:
        value = Decimal(str(data))
    except (InvalidOperation, ValueError) as e:
        raise InvalidInput(f"{path}: invalid value {_shown(data)}") from e
    if not value.is_finite() or (value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT):
        raise InvalidInput(
            f"{path}: {_shown(data)} is not a finite number within 1e±{MAX_EXPONENT}"
        )
    return value


def parse_utc(value: object, label: str) -> datetime:
    """Return an ISO 8601 time with a timezone as aware UTC; InvalidInput naming `label`."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as e:
        raise InvalidInput(f"{label} is not an ISO time: {value!r}") from e
    if parsed.tzinfo is None:
        raise InvalidInput(f"{label} needs a timezone (e.g. a trailing Z)")
    return parsed.astimezone(UTC)


def _datetime(data: Any, path: str) -> datetime:
    return parse_utc(data, path)


def _plain(kind: type) -> Decoder:
    def decode(data: Any, path: str) -> Any:
        if not isinstance(data, kind) or (kind is int and isinstance(data, bool)):
            raise InvalidInput(f"{path}: invalid value {_shown(data)}")
        if isinstance(data, int) and not MIN_INT <= data <= MAX_INT:
            raise InvalidInput(f"{path}: {_shown(data)} does not fit in 64 bits")
        if isinstance(data, float) and not math.isfinite(data):
            raise InvalidInput(f"{path}: {data!r} is not a finite number")
        return data

    return decode


def _shown(data: Any) -> str:
    # A value quoted in an error stays short: a 4,000-digit id is not repeated in full.
    if isinstance(data, int) and not isinstance(data, bool) and abs(data) > 10**30:
        return f"an integer of about {len(str(abs(data) // 10**30)) + 30} digits"
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
