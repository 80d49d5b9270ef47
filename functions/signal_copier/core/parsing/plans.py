"""A signal's management plan: "TP1 hit → close 50%, SL to entry" says what to do later, not now."""

from __future__ import annotations

import re

from signal_copier.core.parsing.tokens import Item, scan

# "→", "➡", "⟶", "->", "=>": what is done when what stands before it happens.
_ARROW = re.compile(r"→|➡|⟶|->|=>")
# What a plan step does once its condition is met: close, move the stop, break even.
_ORDERS = frozenset({"close", "cancel", "move", "breakeven", "partial", "half", "sl"})
_TOLD = frozenset({"closed", "was", "recap", "hit"})  # said of what already happened
_LEVELS = frozenset({"tp", "sl"})


# A signal card's plan is short: a few steps in a card of a few lines. Past these bounds the text
# is no card (an arrow soup, a long post), and it is not read again for its plan.
_MAX_STEPS = 8
_MAX_CARD = 1200  # characters


def has_plan(text: str) -> bool:
    """Return whether `text` is a card short enough to hold a plan, with one to eight arrows."""
    return len(text) <= _MAX_CARD and 0 < len(_ARROW.findall(text)) <= _MAX_STEPS


def without_plan(text: str) -> str:
    """Return `text` without its plan steps.

    A step is a condition, an arrow and an order not yet given ("• TP1 hit → close 50%, SL to
    entry"), or a level and what is done there ("TP1: 5035 → main target (BE/closed)").
    "Entry 2650 → TP1 hit ✅", "TP1 hit → +50 pips" and "TP1 hit → SL moved to BE" report.
    """
    kept = []
    for line in text.splitlines():
        found = _ARROW.search(line)
        if found is None or not _step(scan(line[: found.start()]).items, line[found.end() :]):
            kept.append(line)
    return "\n".join(kept)


def _step(head: list[Item], tail_text: str) -> bool:
    tail = scan(tail_text).items
    kinds = {item.kind for item in tail}
    if any(item.kind == "hit" for item in head):  # the condition: "TP1 hit → …"
        return (
            not kinds.isdisjoint(_ORDERS)
            and kinds.isdisjoint(_TOLD)
            and not any(item.kind != "sl" and item.text.lower().endswith("ed") for item in tail)
        )
    # A level, then what is done there: "TP1 : 5035.00 → main target (BE/closed)".
    levelled = any(item.kind in _LEVELS for item in head) and any(i.kind == "num" for i in head)
    return levelled and "breakeven" in kinds and kinds.isdisjoint(_TOLD - {"closed"})
