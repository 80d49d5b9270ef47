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
Decoder = Callable[[Any], Any]
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
    try:
        return typing.cast(T, decoder(data))
    except _Bad as e:
        raise InvalidInput(f"{cls.__name__}{e.at}{e.detail}") from e.__cause__


class _Bad(Exception):
    """A value that cannot be decoded; the field path is filled in on the way out.

    No path is built while decoding succeeds (the pipeline decodes every record it reads).
    `detail` starts with its separator from the path (": invalid value 7").
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.at = ""


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
    if value.tzinfo is not UTC:  # most times are UTC already (decoded ones always are)
        value = value.astimezone(UTC)
    return value.isoformat().replace("+00:00", "Z")


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
        return _any
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
    if tp in _PLAIN_DECODERS:
        return _PLAIN_DECODERS[tp]
    raise TypeError(f"no decoder for {tp!r}")


def _any(data: Any) -> Any:
    return data


def _optional(tp: Any) -> Decoder:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    inner = _decoder(args[0])
    if len(args) == len(typing.get_args(tp)):
        return inner  # not optional: None is judged by the inner decoder
    return lambda data: None if data is None else inner(data)


def _record(cls: Any) -> Decoder:
    hints = typing.get_type_hints(cls)
    fields = [(f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls)]

    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise _Bad(": expected an object")
        values = {}
        for name, conv in fields:
            if name in data:
                try:
                    values[name] = conv(data[name])
                except _Bad as e:
                    e.at = f".{name}{e.at}"
                    raise
        try:
            return cls(**values)
        except TypeError as e:
            raise _Bad(f": {e}") from e

    return decode


def _sequence(tp: Any) -> Decoder:
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_items(data: Any) -> Any:
            if not isinstance(data, list | tuple):
                raise _Bad(": expected a list")
            try:
                return tuple([item(v) for v in data])
            except _Bad as e:
                e.at = f"[]{e.at}"
                raise

        return decode_items
    convs = [_decoder(a) for a in args]

    def decode_fixed(data: Any) -> Any:
        if not isinstance(data, list | tuple) or len(data) != len(convs):
            raise _Bad(f": expected a list of {len(convs)}")
        try:
            return tuple([conv(v) for conv, v in zip(convs, data, strict=True)])
        except _Bad as e:
            e.at = f"[]{e.at}"
            raise

    return decode_fixed


def _mapping(data: Any) -> Any:
    if not isinstance(data, dict):
        raise _Bad(": expected an object")
    return dict(data)


def _enum(cls: type[Enum]) -> Decoder:
    members = dict(cls._value2member_map_)  # by value: a dict lookup, not Enum.__call__

    def decode(data: Any) -> Any:
        try:
            return members[data]
        except (KeyError, TypeError):
            pass
        try:
            return cls(data)
        except ValueError as e:
            raise _Bad(f": invalid value {data!r}") from e

    return decode


def _decimal(data: Any) -> Decimal:
    if isinstance(data, bool) or not isinstance(data, str | int | float):
        raise _Bad(f": invalid value {_shown(data)}")
    if isinstance(data, str) and len(data) > MAX_DECIMAL_TEXT:
        raise _Bad(f": a number of {len(data)} characters is not a price or volume")
    try:
        value = Decimal(str(data))
    except (InvalidOperation, ValueError) as e:
        raise _Bad(f": invalid value {_shown(data)}") from e
    if not value.is_finite() or (value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT):
        raise _Bad(f": {_shown(data)} is not a finite number within 1e±{MAX_EXPONENT}")
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


def _datetime(data: Any) -> datetime:
    try:
        return parse_utc(data, "")
    except InvalidInput as e:
        raise _Bad(str(e)) from e.__cause__


def _string(data: Any) -> Any:
    if not isinstance(data, str):
        raise _Bad(f": invalid value {_shown(data)}")
    return data


def _boolean(data: Any) -> Any:
    if not isinstance(data, bool):
        raise _Bad(f": invalid value {_shown(data)}")
    return data


def _integer(data: Any) -> Any:
    if not isinstance(data, int) or isinstance(data, bool):
        raise _Bad(f": invalid value {_shown(data)}")
    if not MIN_INT <= data <= MAX_INT:
        raise _Bad(f": {_shown(data)} does not fit in 64 bits")
    return data


def _float(data: Any) -> Any:
    if not isinstance(data, float):
        raise _Bad(f": invalid value {_shown(data)}")
    if not math.isfinite(data):
        raise _Bad(f": {data!r} is not a finite number")
    return data


_PLAIN_DECODERS: dict[type, Decoder] = {
    str: _string,
    bool: _boolean,
    int: _integer,
    float: _float,
}


def _shown(data: Any) -> str:
    # A value quoted in an error stays short: a 4,000-digit id is not repeated in full.
    if isinstance(data, int) and not isinstance(data, bool) and abs(data) > 10**30:
        return f"an integer of about {len(str(abs(data) // 10**30)) + 30} digits"
    text = repr(data)
    return text if len(text) <= 60 else text[:57] + "..."
