"""Domain values ↔ JSON-safe dicts: Decimal as string, datetime as ISO UTC, enums as values.

Converters are built once per type and cached: the pipeline encodes and decodes every record.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from functools import cache, lru_cache
from typing import Any, TypeVar, Union

from signal_copier.core import compiled, scalars
from signal_copier.core.errors import InvalidInput
from signal_copier.core.scalars import MAX_INT, MIN_INT, Bad, parse_utc

__all__ = ["MAX_INT", "MIN_INT", "from_dict", "parse_utc", "to_dict"]

T = TypeVar("T")
Decoder = Callable[[Any], Any]


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
    except Bad as e:
        raise InvalidInput(f"{cls.__name__}{e.at}{e.detail}") from e.__cause__


Encoder = Callable[[Any], Any]


@cache
def _encoder(tp: Any) -> Encoder:
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        inner = _encoder(_first_type(tp))
        return lambda value: None if value is None else inner(value)
    if dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        helpers: dict[str, Any] = {}
        fields = [(f.name, _encoding(hints[f.name], helpers)) for f in dataclasses.fields(tp)]
        return compiled.record_encoder(getattr(tp, "__qualname__", ""), fields, helpers)
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


def _encoding(tp: Any, helpers: dict[str, Any]) -> str:
    # One field's encoding as an expression of `{}` (its value), for the compiled encoder.
    if typing.get_origin(tp) in (Union, types.UnionType):
        return f"(None if {{0}} is None else {_encoding(_first_type(tp), helpers)})"
    if isinstance(tp, type) and issubclass(tp, Enum):
        return "{0}.value"
    if tp is Decimal:
        return "str({0})"
    if tp in _AS_IS:
        return "{0}"
    name = f"_e{len(helpers)}"
    helpers[name] = _iso if tp is datetime else _encoder(tp)
    return name + "({0})"


# Fields of these types are JSON values as they are: an id, a count or a flag goes through no
# call (`_encode` returns them unchanged too; a str or int enum member one holds is still
# written as its value, being a str or an int).
_AS_IS = (str, int, bool, float)


def _first_type(tp: Any) -> Any:
    # An optional value is encoded as its first other type says (None stays None).
    return next(a for a in typing.get_args(tp) if a is not type(None))


# Equal aware times are one instant, written the same: a record's times recur (a message's date
# is in its every intent and trade), and isoformat is most of what encoding a time costs.
@lru_cache(maxsize=4096)
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
        return scalars.decimal
    if tp is datetime:
        return scalars.utc_time
    if tp in scalars.PLAIN_DECODERS:
        return scalars.PLAIN_DECODERS[tp]
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
    return compiled.record_decoder(cls, fields, _checked_record(cls, fields), Bad)


def _checked_record(cls: Any, fields: list[tuple[str, Decoder]]) -> Decoder:
    # Field by field: a missing field takes its default, a bad one is named by its path.
    def decode(data: Any) -> Any:
        if not isinstance(data, dict):
            raise Bad(": expected an object")
        values = {}
        for name, conv in fields:
            if name in data:
                try:
                    values[name] = conv(data[name])
                except Bad as e:
                    e.at = f".{name}{e.at}"
                    raise
        try:
            return cls(**values)
        except TypeError as e:
            raise Bad(f": {e}") from e

    return decode


def _sequence(tp: Any) -> Decoder:
    args = typing.get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_items(data: Any) -> Any:
            if not isinstance(data, list | tuple):
                raise Bad(": expected a list")
            try:
                return tuple([item(v) for v in data])
            except Bad as e:
                e.at = f"[]{e.at}"
                raise

        return decode_items
    convs = [_decoder(a) for a in args]

    def decode_fixed(data: Any) -> Any:
        if not isinstance(data, list | tuple) or len(data) != len(convs):
            raise Bad(f": expected a list of {len(convs)}")
        try:
            return tuple([conv(v) for conv, v in zip(convs, data, strict=True)])
        except Bad as e:
            e.at = f"[]{e.at}"
            raise

    return decode_fixed


def _mapping(data: Any) -> Any:
    if not isinstance(data, dict):
        raise Bad(": expected an object")
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
            raise Bad(f": invalid value {data!r}") from e

    return decode
