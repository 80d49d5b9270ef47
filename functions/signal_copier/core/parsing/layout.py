"""Where an item stands in its line: a header, the label of a level list, or a word in prose."""

from __future__ import annotations

from collections.abc import Iterable

from signal_copier.core.parsing.tokens import Item

STRONG_SIDES = frozenset(
    f"{side}{order}" for side in ("buy", "sell") for order in ("", "_limit", "_stop")
)
# Words that say nothing about the line's role: a line may start with them and stay a header.
_LEAD = frozenset({"filler", "exchange", "noise", "sym_label", "buy_weak", "sell_weak", "date"})
# Between a symbol and its side word: "TNSR/USDT SHORT", "SHORT SOL/USDT @ 142", "long on ARB".
_BETWEEN = _LEAD | {"num", "join", "list", "market", "limit", "entry_weak", "sym"}
# Words of a sentence rather than of a signal: a symbol among them is only mentioned.
_PROSE = frozenset({"w", "hedge", "conditional", "veto", "negation", "recap"})
_LEVEL_JOINS = frozenset({"join", "list"})
_ENDS = frozenset({"nl", "p"})


REACH = 12  # items looked at on either side: a role is local, and the work stays bounded


# How strongly a symbol names the signal.
MENTIONED, HEADED, NAMED = 0, 1, 2


def _line(items: list[Item], at: int) -> tuple[list[Item], list[Item]]:
    # The item's sentence: its line, up to a full stop.
    start, low = at, max(at - REACH, 0)
    while start > low and items[start - 1].kind not in _ENDS:
        start -= 1
    end, high = at + 1, min(at + 1 + REACH, len(items))
    while end < high and items[end].kind not in _ENDS:
        end += 1
    return items[start:at], items[at + 1 : end]


def strength(items: list[Item], at: int) -> int:
    """Return how strongly the symbol at `at` names the signal: NAMED, HEADED or MENTIONED.

    NAMED: a field names it ("Pair: TIA/USDT") or it stands next to a side word ("TNSR/USDT
    SHORT", "long on ARB/USDT" — not "SHORT — BTC just lost 60k"). HEADED: it heads a line that
    is no sentence ("#SUI/USDT", "📊 ETH/USDT"). MENTIONED: a word in prose ("BTC is dumping"),
    or a bare hashtag ("#ONDO", maybe a topic tag).
    """
    if items[at].unit == "hash":
        return MENTIONED
    before, after = _line(items, at)
    if any(item.kind == "sym_label" for item in before):
        return NAMED
    prose_after = any(item.kind in _PROSE for item in after)
    if _next_to_side(after) or (not prose_after and _next_to_side(reversed(before))):
        return NAMED
    if not prose_after and all(item.kind in _LEAD for item in before):
        return HEADED
    return MENTIONED


def _next_to_side(items: Iterable[Item]) -> bool:
    for item in items:
        if item.kind in STRONG_SIDES:
            return True
        if item.kind not in _BETWEEN:
            return False
    return False


def heads_level_list(items: list[Item], at: int) -> bool:
    """Return True when the word at `at` labels the numbers after it: "Sell :- 25, 24", "Exit: 0.2".

    The word starts its line and a price follows it on that line, with at most joiners between,
    or the word is alone on its line and the next line starts with a price.
    """
    before, after = _line(items, at)
    if any(item.kind not in _LEAD for item in before):
        return False
    if not after:  # "SELL:" alone on its line: the list may start on the next one
        return own_line(items, at)
    for item in after:
        if item.kind == "num":
            return item.unit in ("", "idx")
        if item.kind not in _LEVEL_JOINS:
            return False
    return False


def own_line(items: list[Item], at: int) -> bool:
    """Return True when the word at `at` ends its line and the next line starts with a price."""
    nxt = at + 1
    if nxt + 1 >= len(items) or items[nxt].kind != "nl":
        return False
    first = items[nxt + 1]
    return first.kind == "num" and first.unit in ("", "idx")
