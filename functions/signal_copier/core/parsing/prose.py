"""A complete signal block outweighs the prose around it: read the cues of its own lines only."""

from __future__ import annotations

from typing import NamedTuple

from signal_copier.core.parsing.context import SIDE_WORDS, Context, read_context
from signal_copier.core.parsing.reader import Reader
from signal_copier.core.parsing.tokens import Item, scan

# Numbers that are no level and tell no result: leverage, timeframes, ordinals, percentages.
_ASIDE_UNITS = frozenset({"lev", "tf", "ord", "pct"})
_REPORTS = frozenset({"hit", "closed", "recap"})
_PROSE = frozenset({"w", "negation", "conditional", "hedge", "veto"})
# A tick on a line of levels may report a target reached ("TP 2640 ✅"): such a message is not
# read on its block alone. The scanner keeps no item for these marks, so the text is looked at.
_TICKS = ("✅", "✔", "☑")
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


def narrow(text: str) -> Narrowed | None:
    """Return the cues of the lines of `text` that hold its signal, or None when prose is all.

    None too when a line of levels carries a tick (a result post that repeats its levels).
    """
    kept: list[str] = []
    left_out: list[str] = []
    for line in text.split("\n"):
        if not line.strip():
            continue
        if _signal_line(scan(line).items):
            if any(tick in line for tick in _TICKS):
                return None
            kept.append(line)
        else:
            left_out.append(line.strip())
    if not kept or not left_out:
        return None  # nothing to leave out: the message's own cues stand
    narrowed = scan("\n".join(kept))
    reader = Reader(narrowed.items)
    reader.read()
    return Narrowed(read_context(narrowed, reader.labels), tuple(left_out))


def explain(left_out: tuple[str, ...]) -> list[str]:
    """Return the explain lines that say which prose lines were not read as cues."""
    return [
        f'"{line[:_SHOWN]}" → prose beside a complete signal: its words do not veto it'
        for line in left_out
    ]
