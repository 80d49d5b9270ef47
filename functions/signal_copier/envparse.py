"""Typed reads of environment variables for config.py (which names every variable).

Each function reads one variable by the name it is given and raises InvalidSettings naming it
when its value is not acceptable; an unset variable gives the default.
"""

from __future__ import annotations

from collections.abc import Mapping

from signal_copier.core.errors import InvalidSettings

_SWITCH = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}


def one_of(environ: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    """Return the variable's value if it is one of `options`."""
    value = environ.get(name, default)
    if value not in options:
        raise InvalidSettings(f"{name}: must be one of {', '.join(options)}, not {value!r}")
    return value


def switch(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    """Return an on/off variable."""
    value = environ.get(name)
    if value is None:
        return default
    if value.lower() not in _SWITCH:
        raise InvalidSettings(f"{name}: must be on or off, not {value!r}")
    return _SWITCH[value.lower()]


def seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    """Return a duration in seconds, above 0 and below a day."""
    value = environ.get(name)
    if value is None:
        return default
    try:
        found = float(value)
    except ValueError:
        found = -1.0
    if not 0 < found < 86_400:
        raise InvalidSettings(f"{name}: must be a number of seconds above 0, not {value!r}")
    return found


def count(
    environ: Mapping[str, str], name: str, default: int, *, minimum: int = 1, maximum: int = 100_000
) -> int:
    """Return a whole number from `minimum` to `maximum`."""
    value = environ.get(name)
    if value is None:
        return default
    # ASCII only: str.isdigit() also passes '²' (which int() refuses) and other scripts' digits.
    if not (value.isascii() and value.isdigit()) or not minimum <= int(value) <= maximum:
        raise InvalidSettings(
            f"{name}: must be a whole number from {minimum} to {maximum}, not {value!r}"
        )
    return int(value)
