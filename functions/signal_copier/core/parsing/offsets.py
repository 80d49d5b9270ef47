"""How far past the entry a breakeven stop goes: "SL to BE + 2 pips", "Move SL to BE+5"."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.parsing.tokens import Item

OFFSET_UNITS = frozenset({"pips", "signed"})  # "+ 2 pips", "+5": beyond the entry, in pips
_ENTRY_WORDS = frozenset({"breakeven", "entry"})
_MAX_PIPS = Decimal(100)  # more is no spread cover: a level, not a breakeven


def entry_offset(items: list[Item]) -> Decimal | None:
    """Return the pips a breakeven stop is told to lock beyond the entry, if the text says so."""
    for at, item in enumerate(items[:-1]):
        if item.kind in _ENTRY_WORDS:
            following = items[at + 1]
            if following.kind == "num" and following.unit in OFFSET_UNITS:
                pips = following.value
                return pips if 0 < pips <= _MAX_PIPS else None
    return None
