"""Domain values ↔ JSON-safe dicts: Decimal as string, datetime as ISO UTC, enums as values."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, TypeVar, Union

from signal_copier.core.errors import InvalidInput

T = TypeVar("T")


def to_dict(value: Any) -> dict[str, Any]:
    """Return a dataclass instance as a JSON-safe dict."""
    out = _encode(value)
    if not isinstance(out, dict):
        raise TypeError(f"expected a dataclass instance, got {type(value).__name__}")
    return out


def from_dict(cls: type[T], data: Any) -> T:
    """Build a dataclass from a dict made by `to_dict`; raise InvalidInput naming the field."""
    return typing.cast(T, _decode(cls, data, cls.__name__))


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime cannot be encoded")
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: Any, path: str) -> Any:  # noqa: C901 - one branch per type family
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = typing.get_args(tp)
        if data is None and type(None) in args:
            return None
        for arg in (a for a in args if a is not type(None)):
            return _decode(arg, data, path)
    if tp is Any:
        return data
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise InvalidInput(f"{path}: expected an object")
        hints, kwargs = _hints(tp), {}  # type: ignore[arg-type]
        for f in dataclasses.fields(tp):
            if f.name in data:
                kwargs[f.name] = _decode(hints[f.name], data[f.name], f"{path}.{f.name}")
        try:
            return typing.cast(Any, tp)(**kwargs)
        except TypeError as e:
            raise InvalidInput(f"{path}: {e}") from e
    if origin is tuple:
        args = typing.get_args(tp)
        if not isinstance(data, list | tuple):
            raise InvalidInput(f"{path}: expected a list")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, f"{path}[]") for v in data)
        return tuple(_decode(a, v, f"{path}[]") for a, v in zip(args, data, strict=True))
    if origin is dict:
        if not isinstance(data, dict):
            raise InvalidInput(f"{path}: expected an object")
        return dict(data)
    return _scalar(tp, data, path)


def _scalar(tp: Any, data: Any, path: str) -> Any:
    try:
        if isinstance(tp, type) and issubclass(tp, Enum):
            return tp(data)
        if tp is Decimal:
            if isinstance(data, bool) or not isinstance(data, str | int | float):
                raise TypeError
            return Decimal(str(data))
        if tp is datetime:
            parsed = datetime.fromisoformat(str(data).replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                raise ValueError("time without a timezone")
            return parsed.astimezone(UTC)
        if tp in (str, int, float, bool) and not isinstance(data, tp):
            raise TypeError
        return data
    except (TypeError, ValueError, InvalidOperation) as e:
        raise InvalidInput(f"{path}: invalid value {data!r}") from e
