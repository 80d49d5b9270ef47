"""A dataclass's encoder and decoder written out field by field, compiled once per type.

The codec converts every record the pipeline stores, publishes and reads. A generic loop pays
an attribute lookup, a converter call and a dict update per field; a function written for the
type (as `dataclasses` writes `__init__`) reads each field directly. The code is made from the
type's field names only, never from data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Converter = Callable[[Any], Any]


def record_encoder(
    label: str, fields: Sequence[tuple[str, str]], helpers: dict[str, Any]
) -> Converter:
    """Return `value → {field: encoded}`, each field encoded by its expression of `{0}`.

    `helpers` are the names those expressions call.
    """
    items = ", ".join(f"{name!r}: {encoding.format(f'value.{name}')}" for name, encoding in fields)
    return _compile(f"{label}.encode", f"def encode(value):\n    return {{{items}}}\n", helpers)


def record_decoder(
    cls: Callable[..., Any],
    fields: Sequence[tuple[str, Converter]],
    checked: Converter,
    bad: type[Exception],
) -> Converter:
    """Return `data → cls(...)` for data holding every field; else the `checked` decoder's.

    `checked` decodes field by field (defaults for missing fields, errors naming the field):
    whatever the direct call cannot build (a missing key, a `bad` value, a refused argument)
    is decoded again by it, so every outcome is the checked decoder's.
    """
    names = {f"_d{i}": conv for i, (_, conv) in enumerate(fields)}
    arguments = ", ".join(f"{name}=_d{i}(data[{name!r}])" for i, (name, _) in enumerate(fields))
    source = (
        "def decode(data):\n"
        "    if isinstance(data, dict):\n"
        "        try:\n"
        f"            return cls({arguments})\n"
        "        except (KeyError, TypeError, bad):\n"
        "            pass\n"
        "    return checked(data)\n"
    )
    helpers = {**names, "cls": cls, "checked": checked, "bad": bad}
    return _compile(f"{getattr(cls, '__qualname__', cls)}.decode", source, helpers)


def _compile(label: str, source: str, helpers: dict[str, Any]) -> Converter:
    # Only what the generated code names is in reach: its helpers and a few builtins.
    builtins = {"isinstance": isinstance, "dict": dict, "str": str}
    builtins |= {"KeyError": KeyError, "TypeError": TypeError}
    namespace: dict[str, Any] = {"__builtins__": builtins, **helpers}
    exec(compile(source, f"<codec {label}>", "exec"), namespace)
    function: Converter = namespace[source.split("(", 1)[0].removeprefix("def ")]
    return function
