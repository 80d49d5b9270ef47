"""A close or cancel that opens a message, followed by clauses that only explain it."""

from __future__ import annotations

import re

from signal_copier.core.model import Command
from signal_copier.core.parsing.commands import SILENT, read_command
from signal_copier.core.parsing.reasons import sells
from signal_copier.core.parsing.tokens import Item, scan
from signal_copier.core.parsing.verbs import as_verbs, level_list

_IMPERATIVES = frozenset({"close", "cancel"})
# A clause after the command may explain it ("price is moving against us") but not undo it.
_UNDOING = frozenset({"negation", "conditional", "hedge", "veto"})
_CLAUSE_MARKS = ",;!✅☑✔❌.\n\t "
_CLAUSE_END = re.compile(r"[,;!✅☑✔❌\n]|\.(?!\S)")
_LEADING_QUIET = SILENT | {"filler", "sym"}  # "#SOL/USDT Cancelled ❌": the symbol leads


def read_leading_command(text: str, items: list[Item]) -> Command | None:
    """Return the close or cancel that opens `text` when the clauses after it only explain it."""
    if not _imperative(items) or level_list(as_verbs(items)):
        return None  # "Exit: 0.212, 0.218": a list of exit levels, not "exit" with a comment
    head, rest = _first_clause(text)
    while rest and not _imperative(scan(head).items) and _quiet(scan(head).items):
        head, rest = _first_clause(rest)  # "Binance Futures⏎#WAVES/USDT Cancelled ❌⏎…"
    items = scan(head).items
    if not rest or not _imperative(items):
        return None
    after = scan(rest)
    if any(item.kind in _UNDOING for item in after.items) or sells(after):
        return None  # "Close if you want"; "Book now, limited seats" (an advert, not an order)
    return read_command(items)


def _imperative(items: list[Item]) -> bool:
    # "Order cancelled, price ran away": filler words ("the", "order") may stand before the verb.
    first = next((item for item in as_verbs(items) if item.kind not in _LEADING_QUIET), None)
    return first is not None and first.kind in _IMPERATIVES


def _quiet(items: list[Item]) -> bool:
    return all(item.kind in _LEADING_QUIET for item in items)


def _first_clause(text: str) -> tuple[str, str]:
    text = text.strip(_CLAUSE_MARKS)  # "✅ Close all now ✅": marks around the message end nothing
    found = _CLAUSE_END.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], text[found.end() :]
