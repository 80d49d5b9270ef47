"""JSON scalars back to domain values, checked: each refusal says why (see codec.py).

Strings, booleans, 64-bit integers, finite floats, decimals within 1e±100 and aware UTC times.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from signal_copier.core.errors import InvalidInput

MIN_INT, MAX_INT = -(2**63), 2**63 - 1  # what the stores (SQLite, Firestore) hold
# Representable, not plausible: whether a level makes sense is for the guards to say (and
# record); within these bounds Decimal arithmetic can neither overflow nor underflow.
MAX_EXPONENT = 100
MAX_DECIMAL_TEXT = 64


class Bad(Exception):
    """A value that cannot be decoded; the field path is filled in on the way out.

    No path is built while decoding succeeds (the pipeline decodes every record it reads).
    `detail` starts with its separator from the path (": invalid value 7").
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.at = ""


def decimal(data: Any) -> Decimal:
    if type(data) is str and len(data) <= MAX_DECIMAL_TEXT:  # what the codec writes
        try:
            return _finite(Decimal(data), data)
        except (InvalidOperation, ValueError) as e:
            raise Bad(f": invalid value {_shown(data)}") from e
    if isinstance(data, bool) or not isinstance(data, str | int | float):
        raise Bad(f": invalid value {_shown(data)}")
    if isinstance(data, str) and len(data) > MAX_DECIMAL_TEXT:
        raise Bad(f": a number of {len(data)} characters is not a price or volume")
    try:
        value = Decimal(str(data))
    except (InvalidOperation, ValueError) as e:
        raise Bad(f": invalid value {_shown(data)}") from e
    return _finite(value, data)


def _finite(value: Decimal, data: Any) -> Decimal:
    if not value.is_finite() or (value and not -MAX_EXPONENT <= value.adjusted() <= MAX_EXPONENT):
        raise Bad(f": {_shown(data)} is not a finite number within 1e±{MAX_EXPONENT}")
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


def utc_time(data: Any) -> datetime:
    if type(data) is str:  # what the codec writes: the same few times recur in every record
        return _utc_text(data)
    return _utc(data)


@lru_cache(maxsize=4096)
def _utc_text(data: str) -> datetime:
    return _utc(data)


def _utc(data: Any) -> datetime:
    try:
        return parse_utc(data, "")
    except InvalidInput as e:
        raise Bad(str(e)) from e.__cause__


def _string(data: Any) -> Any:
    if not isinstance(data, str):
        raise Bad(f": invalid value {_shown(data)}")
    return data


def _boolean(data: Any) -> Any:
    if not isinstance(data, bool):
        raise Bad(f": invalid value {_shown(data)}")
    return data


def _integer(data: Any) -> Any:
    if not isinstance(data, int) or isinstance(data, bool):
        raise Bad(f": invalid value {_shown(data)}")
    if not MIN_INT <= data <= MAX_INT:
        raise Bad(f": {_shown(data)} does not fit in 64 bits")
    return data


def _float(data: Any) -> Any:
    if not isinstance(data, float):
        raise Bad(f": invalid value {_shown(data)}")
    if not math.isfinite(data):
        raise Bad(f": {data!r} is not a finite number")
    return data


PLAIN_DECODERS: dict[type, Callable[[Any], Any]] = {
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
