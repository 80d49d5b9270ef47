"""Read a channel message as opening signals, a follow-up command, or nothing (with a reason)."""

from __future__ import annotations

from signal_copier.core.model import Parse
from signal_copier.core.parsing import commands, openings, reasons
from signal_copier.core.parsing.context import read_context
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.labels import to_label
from signal_copier.core.parsing.reader import Reader
from signal_copier.core.parsing.tokens import scan

__all__ = ["parse", "to_label"]

_STRUCTURAL = frozenset({"no_symbol", "no_side", openings.AMBIGUOUS})


def parse(text: str) -> Parse:
    """Return what `text` asks for: opening signals, one follow-up command, or nothing."""
    scanned = scan(text)
    reader = Reader(scanned.items)
    blocks = reader.read()
    context = read_context(scanned, reader.labels)
    signals, explain, refusals = [], [], []
    unsafe = False
    for block in blocks:
        signal, why = openings.build(block, context)
        if signal is not None:
            signals.append(signal)
            explain.extend(block.explain)
        elif block.has_levels and _signal_like(block, why):
            refusals.append(why)
            unsafe = True
    if signals:
        return Parse(signals=tuple(signals), explain=tuple(explain))
    # A signal missing its symbol must not be read as "change the SL/TP of the replied trade".
    command = None if unsafe else commands.read_command(scanned.items)
    if command is None and not unsafe:
        command = commands.read_leading_command(text, scanned.items)
    if command is not None:
        lines = tuple(f'"{i.text}" → {i.kind}' for i in scanned.items if i.kind not in _QUIET)
        return Parse(command=command, reason=command.action.value, explain=lines)
    reason = refusals[0] if refusals else reasons.classify(scanned)
    return Parse(reason=reason, explain=tuple(explain or _first_block(blocks)))


_QUIET = frozenset({"nl", "p", "w", "list", "join", "date"})


def _signal_like(block: Block, why: str) -> bool:
    # Levels plus a side (or a symbol and a stop): a signal we could not complete, so say why.
    if why not in _STRUCTURAL:
        return False
    return bool(block.sides) or (block.symbol is not None and block.sl is not None)


def _first_block(blocks: list[Block]) -> list[str]:
    return blocks[0].explain if blocks else []
