"""Message-wide cues that decide how much structure an opening needs."""

from __future__ import annotations

from typing import NamedTuple

from signal_copier.core.parsing.tokens import Scan

_COMMAND_WORDS = frozenset({"close", "closed", "cancel", "move", "hit", "breakeven"})
_LEADING_COMMANDS = frozenset({"close", "closed", "cancel", "move", "hit"})
_HEDGES = frozenset({"hedge", "conditional"})
_SILENT = frozenset({"num", "nl", "p", "date", "join", "list", "sym"})


class Context(NamedTuple):
    """What the whole message says besides its levels."""

    hedged: bool  # "if", "could", "idea", "market update": trade ideas, not orders
    veto: bool  # "this is not a signal"
    command_words: bool  # close/move/hit/breakeven somewhere in the text
    leading_command: bool  # the first word is a follow-up verb
    plain: bool  # every word is known, nothing negated, no question


def read_context(scan: Scan) -> Context:
    """Return the cues of a scanned message."""
    present = {item.kind for item in scan.items}
    first = ""
    for item in scan.items:
        if item.kind not in _SILENT:
            first = item.kind
            break
    return Context(
        hedged=not present.isdisjoint(_HEDGES),
        veto="veto" in present,
        command_words=not present.isdisjoint(_COMMAND_WORDS),
        leading_command=first in _LEADING_COMMANDS,
        plain=not scan.question and "w" not in present and "negation" not in present,
    )
