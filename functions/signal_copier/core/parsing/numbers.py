"""Read prices as Decimal: thousands and decimal commas, lists, shorthand zone ends."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_THOUSANDS = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_ONE_COMMA = re.compile(r"(\d+),(\d+)")
_EUROPEAN = re.compile(r"\d{1,3}(?:\.\d{3})+,\d+")  # "3.420,50": dots group thousands
_ZERO = Decimal(0)  # compared with a Decimal, not an int: no conversion per comparison
LOW_RATIO = Decimal("0.8")
HIGH_RATIO = Decimal("1.25")
_SLIPS = tuple(Decimal(10) ** power for power in (-4, -3, -2, -1, 1, 2, 3, 4))


@lru_cache(maxsize=8192)  # prices repeat across messages; Decimal() is the costly part
def read_numbers(raw: str) -> tuple[Decimal, ...] | None:
    """Return the numbers a digit run stands for, or None for a date-like run ("2017.10.06")."""
    if "," not in raw:
        return (Decimal(raw),) if raw.count(".") <= 1 else None
    if _THOUSANDS.fullmatch(raw) and not raw.startswith("0,"):
        return (Decimal(raw.replace(",", "")),)
    if "." in raw and _EUROPEAN.fullmatch(raw):
        return (Decimal(raw.replace(".", "").replace(",", ".")),)
    one = _ONE_COMMA.fullmatch(raw)
    if one and _decimal_comma(one.group(1), one.group(2)):
        return (Decimal(f"{one.group(1)}.{one.group(2)}"),)
    parts = [part for part in raw.split(",") if part]
    if any(part.count(".") > 1 for part in parts):
        return None
    try:
        return tuple(Decimal(part) for part in parts)
    except InvalidOperation:
        return None


def _decimal_comma(whole: str, fraction: str) -> bool:
    # "108,70" and "0,9541" are decimals; "2340,2335" is a list of two prices.
    return len(fraction) <= 2 or (len(fraction) != 3 and len(whole) <= 2)


def complete(first: str, second: str) -> Decimal | None:
    """Return the far end of a shorthand zone: ("134.30", "35") → 134.35."""
    if not second.isdigit() or "," in first or ("." not in first and len(second) >= len(first)):
        return None  # a comma (thousands or decimal) would not survive the splice below
    decimals = len(first) - first.index(".") - 1 if "." in first else 0
    if len(second) >= len(first.replace(".", "")):
        return None
    if decimals and len(second) > decimals:
        return None
    return Decimal(first[: len(first) - len(second)] + second)


def price_like(value: Decimal, reference: Decimal) -> bool:
    """Return True when `value` is within 20-25% of `reference` (a level, not a pip count)."""
    if reference <= _ZERO or value <= _ZERO:
        return False
    ratio = value / reference
    return LOW_RATIO <= ratio <= HIGH_RATIO


def near(value: Decimal, reference: Decimal) -> bool:
    """Return True when `value` is within a factor of two of `reference`."""
    if reference <= 0 or value <= 0:
        return False
    return reference / 2 <= value <= reference * 2


def off_scale(value: Decimal, reference: Decimal) -> bool:
    """Return True when `value` is `reference` with the decimal point slipped (10x to 10,000x)."""
    if reference <= 0 or value <= 0:
        return False
    return any(price_like(value * scale, reference) for scale in _SLIPS)
