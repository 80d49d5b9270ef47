"""How far past the entry a breakeven stop goes: "SL to BE + 2 pips", "Move SL to BE+5"."""

from __future__ import annotations

import re
from decimal import Decimal

from signal_copier.core.parsing.tokens import Item

OFFSET_UNITS = frozenset({"pips", "signed"})  # "+ 2 pips", "+5": beyond the entry, in pips
_ENTRY_WORDS = frozenset({"breakeven", "entry"})
_MAX_PIPS = Decimal(100)  # more is no spread cover: a level, not a breakeven
# "Move stop to +20 pips": a gain locked past the entry, as "SL to BE +20 pips" writes it.
_LOCKED = re.compile(
    r"(?i)\b(sl|s/l|stop|stop ?loss)([^\S\n]++(?:to|at)[^\S\n]*+|(?<=move sl)[^\S\n]++"
    r"|(?<=move stop)[^\S\n]++)(?=\+[^\S\n]*+\d++(?:[.,]\d+)?[^\S\n]*+(?:pips?|points?|pts)\b)"
)


# "Lock 20 pips profit", "Lock in +30 pips": the same order, with the stop left unsaid.
_LOCK = re.compile(
    r"(?i)\block(?:[^\S\n]++in)?+[^\S\n]++\+?[^\S\n]*+(?=\d++(?:[.,]\d+)?[^\S\n]*+(?:pips?|points?|pts)\b)"
)  # possessive: a run of spaces after "lock" is never tried twice


def locked(text: str) -> str:
    """Return `text` with "SL to +20 pips" and "Lock 20 pips" written as "SL to BE +20 pips"."""
    if "ock" in text or "OCK" in text:
        text = _LOCK.sub("SL to BE +", text)
    return _LOCKED.sub(r"\1\2BE ", text)


def entry_offset(items: list[Item]) -> Decimal | None:
    """Return the pips a breakeven stop is told to lock beyond the entry, if the text says so."""
    for at, item in enumerate(items[:-1]):
        if item.kind in _ENTRY_WORDS:
            following = items[at + 1]
            if following.kind == "num" and following.unit in OFFSET_UNITS:
                pips = following.value
                return pips if 0 < pips <= _MAX_PIPS else None
    return None


def offset_unread(items: list[Item]) -> bool:
    """Return True when pips past the entry are told but too many to be a breakeven's."""
    return entry_offset(items) is None and any(
        item.kind in _ENTRY_WORDS
        and items[at + 1].kind == "num"
        and items[at + 1].unit in OFFSET_UNITS
        for at, item in enumerate(items[:-1])
    )
