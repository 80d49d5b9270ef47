"""A complete signal block outweighs the prose around it: read the cues of its own lines only."""

from __future__ import annotations

import re
from collections.abc import Set
from typing import NamedTuple

from signal_copier.core.parsing.context import SIDE_WORDS, Context, read_context
from signal_copier.core.parsing.tokens import Item, Scan, scan

# Numbers that are no level and tell no result: leverage, timeframes, ordinals, percentages.
_ASIDE_UNITS = frozenset({"lev", "tf", "ord", "pct", "ratio"})
_REPORTS = frozenset({"hit", "closed", "recap"})
_PROSE = frozenset({"w", "negation", "conditional", "hedge", "veto"})
# A tick on a line of levels may report a target reached ("TP 2640 ✅"): such a message is not
# read on its block alone. The scanner keeps no item for these marks, so the text is looked at.
_NEWLINE = Item("nl", "\n")
# "TP 1.0900 ✅": a tick after a level reports it reached ("✅ TP1: 2660" is a bullet).
# The tick ends the line's numbers but a signed gain ("TP 2660 ✅✅ +100 pips"): "T-P (1) ✅
# 1.00480" is a bullet before the price.
_TICK_AFTER_NUMBER = re.compile(
    r"\d[^\S\n]*(?:[^\s\d✅✔☑]+[^\S\n]*)?[✅✔☑](?:[^\d\n]*(\+)[^\S\n]*\d[\d.,]*|[^\d\n]*-[^\S\n]*\d[\d.,]*)?[^\d\n]*$"
)
# "… TP 2670 — TP ✅": a target label ticked with no price after it on its line reports it hit
# ("T-P ✅ 143.950" decorates the label of its price).
_TICK_AFTER_LABEL = re.compile(r"(?i)\b(?:tp\d?|target\d?)[^\S\n]*[✅✔☑][^\d\n]*$")
_CROSS_AFTER_NUMBER = re.compile(r"\d[^\S\n]*[$%]?[^\S\n]*[❌✖]")
_EXIT_LABELS = frozenset({"tp", "sl"})
_SHOWN = 60  # characters of a prose line quoted in an explain line


class Narrowed(NamedTuple):
    """The cues of a message's signal lines, and the prose lines that were left out."""

    context: Context
    left_out: tuple[str, ...]


def _signal_line(items: list[Item]) -> bool:
    # A line of the signal names a symbol, a level or a pip figure, or is a side header ("🟢
    # Long", "Direction: SHORT"). A line that reports ("TP1 hit", "Closed in profit",
    # "yesterday") is kept: it may tell a result. Prose is the rest: a label with no number
    # ("maintain the stop loss"), advice that repeats the side ("Don't buy early!", "Buy when
    # price touches the ENTRY POINT").
    sided = worded = False
    for item in items:
        kind = item.kind
        if kind == "sym" or kind in _REPORTS:
            return True
        if kind == "num" and item.unit not in _ASIDE_UNITS:
            return True
        sided |= kind in SIDE_WORDS
        worded |= kind in _PROSE
    return sided and not worded


def narrow(text: str, scanned: Scan, labels: Set[int]) -> Narrowed | None:
    """Return the cues of the lines of a message that hold its signal, or None when none differ.

    `scanned` is the message's scan and `labels` the items the reader took as level labels.
    None too when a line of levels carries a tick (a result post that repeats its levels).
    """
    items = scanned.items
    kept: list[Item] = []
    kept_labels: set[int] = set()
    asks: list[int] = []
    left_out: list[str] = []
    start = 0
    for end in [*(at for at, item in enumerate(items) if item.kind == "nl"), len(items)]:
        line = items[start:end]
        if line and _signal_line(line):
            if kept:
                kept.append(_NEWLINE)
            offset = len(kept) - start
            kept_labels.update(at + offset for at in labels if start <= at < end)
            asks.extend(at + offset for at in scanned.asks if start <= at <= end)
            kept.extend(line)
        elif line:
            left_out.append(" ".join(item.text for item in line))
        start = end + 1
    if not kept or not left_out:
        return None  # nothing left out: the message's own cues stand
    if has_tick(text) and (ticked_level(text) or _tick_on_kept_line(text)):
        return None  # a level or a gain reported reached: a result post, read as a whole
    narrowed = Scan(kept, scanned.words, scanned.perpetual, bool(asks), asks, scanned.gain)
    return Narrowed(read_context(narrowed, kept_labels), tuple(left_out))


def ticked_level(text: str) -> bool:
    """Return True when a tick follows a level or a gain on its line ("TP 1.0900 ✅", "TP1 ✅")."""
    if not has_tick(text) or _CROSS_AFTER_NUMBER.search(text):
        return False  # "SL …1299.78❌ ⏎ TP …1263.61✅": marks that decorate every level
    for line in text.split("\n"):
        if not has_tick(line):
            continue
        if _TICK_AFTER_LABEL.search(line):
            return True
        found = _TICK_AFTER_NUMBER.search(line)
        if found is not None and (found.group(1) or _reports(scan(line).items)):
            return True  # "67000 ✅ +3%": a gain after the tick reports the level reached
    return False


def _reports(items: list[Item]) -> bool:
    # The ticked line names a level ("TP 1.0900 ✅", "TP1 ✅") or a gain ("+100 pips ✅").
    labelled = numbered = False
    for item in items:
        if item.kind in _EXIT_LABELS:
            labelled = True
            numbered |= bool(item.unit)  # "TP1": the label carries its number
        elif item.kind == "num":
            if item.unit in ("pips", "signed"):
                return True
            numbered = True
    return labelled and numbered


def has_tick(text: str) -> bool:
    """Return True when the text holds a tick mark (substring searches: the common "no")."""
    return "✅" in text or "✔" in text or "☑" in text


def _tick_on_kept_line(text: str) -> bool:
    # A tick after a number on a line of the signal ("GOLD BUY 2650 ✅"); one that opens its line
    # is a bullet ("✅✅Maintain the stop loss & trade 3 to 5% of funds"). Only messages with a
    # tick pay for reading each line on its own.
    return any(
        _signal_line(scan(line).items)
        for line in text.split("\n")
        if has_tick(line) and _TICK_AFTER_NUMBER.search(line)
    )


def explain(left_out: tuple[str, ...]) -> list[str]:
    """Return the explain lines that say which prose lines were not read as cues."""
    return [
        f'"{line[:_SHOWN]}" → prose beside a complete signal: its words do not veto it'
        for line in left_out
    ]
