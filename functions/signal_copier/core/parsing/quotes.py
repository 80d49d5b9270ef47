"""Prices quoted as where the market is now ("Current price 4344.8", "CMP 156.59"): not levels."""

from __future__ import annotations

from signal_copier.core.parsing.context import SIDE_WORDS
from signal_copier.core.parsing.tokens import Item

# A quote begins at one of these and runs, over joining words, to its number: "Current price
# 4344.8", "CMP: 156.59", "now trading at 1,741", "live price 1.0850".
_QUOTING_WORDS = frozenset({"current", "currently", "live", "trading", "cmp"})
_QUOTING_PHRASES = frozenset({"cmp", "current market price"})
_BETWEEN = frozenset({"entry_weak", "filler", "market", "w", "join"})
_MAX_BETWEEN = 3  # "now trading at", "current market price is"
_NOW = frozenset({"now", "right now"})  # the market words that tell a quote's moment
QUOTED = "quoted"  # the kind a quoted price and its words are read as (the reader skips it)


def may_quote(words: list[str]) -> bool:
    """Return True when the message's words may quote a current price (a cheap pre-check)."""
    if not _QUOTING_WORDS.isdisjoint(words):
        return True
    return "price" in words and "now" in words  # "price is 1.0850 right now"


def unquoted(items: list[Item]) -> tuple[list[Item], list[str]]:
    """Return `items` with current-price quotes blanked when the signal gives its own entry."""
    spans = [span for span in map(_quote, range(len(items)), [items] * len(items)) if span]
    if not spans:
        return items, []
    kept = list(items)
    explain = []
    for start, end in spans:
        for at in range(start, end + 1):
            kept[at] = Item(QUOTED, items[at].text)
    if not _entry_given(kept):
        return items, []  # "GOLD BUY⏎CMP 2650⏎SL 2640": the quote is the only entry there is
    for start, end in spans:
        said = " ".join(item.text for item in items[start : end + 1])
        explain.append(f'"{said}" → the price now, not a level (the signal gives its entry)')
    return kept, explain


def _quote(at: int, items: list[Item]) -> tuple[int, int] | None:
    # The span from a quoting word to the number it quotes, on one line.
    item = items[at]
    lower = item.text.lower()
    if not (
        (item.kind == "w" and lower in _QUOTING_WORDS)
        or (item.kind == "market" and lower in _QUOTING_PHRASES)
        or (item.kind == "entry_weak" and lower == "price" and _now_after(items, at))
    ):
        return None
    for end in range(at + 1, min(at + 2 + _MAX_BETWEEN, len(items))):
        following = items[end]
        if following.kind == "num":
            return (
                (_now(items, at - 1, -1) or at, _now(items, end + 1, 1) or end)
                if not following.unit
                else None
            )
        if following.kind not in _BETWEEN:
            return None
    return None


def _now(items: list[Item], at: int, step: int) -> int | None:
    # "(now trading at 1,741)", "1.0850 right now": the "now" belongs to the quote, not the order.
    for _ in range(2):
        if not 0 <= at < len(items) or items[at].kind not in ("market", "w"):
            return None
        if items[at].kind == "market" and items[at].text.lower() in _NOW:
            return at
        at += step
    return None


def _now_after(items: list[Item], at: int) -> bool:
    # "price is 1.0850 right now": the number is told as the price of this moment.
    for item in items[at + 1 : at + 6]:
        if item.kind == "nl":
            return False
        if item.kind == "market" and item.text.lower() in _NOW:
            return True
    return False


def _entry_given(items: list[Item]) -> bool:
    # An entry label with a number after it, or a side word followed by its price ("BUY 4344-4345").
    for at, item in enumerate(items[:-1]):
        if item.kind == "entry" or item.kind in SIDE_WORDS:
            following = next(
                (i for i in items[at + 1 : at + 4] if i.kind not in ("filler", "p", "sym")), None
            )
            if following is not None and following.kind == "num" and not following.unit:
                return True
    return False
