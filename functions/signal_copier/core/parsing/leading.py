"""Exits written before the signal they belong to: "TP 2660⏎SL 2640⏎BUY GOLD NOW".

The reader starts a block at a side word that names its symbol after it ("Buy XAUUSD 2650",
"Sell EURUSD 1.0850"), so a stop and targets written first are left in a block of their own,
with no symbol and no side, and the signal would open with no stop. Such a block of exits
only gives the signal right after it each exit that signal does not write itself. Distances in
pips written once after several signals "for both" are each signal's.
"""

from __future__ import annotations

from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.tokens import Item

_NOTE = "the stop and targets written before the side belong to its signal"
# "Sell EURUSD 1.0850, buy GBPUSD 1.2700, SL 30 pips both": the last signal's distances are
# every signal's (a distance in pips, never a price: the instruments differ).
_BOTH = frozenset({"both", "each", "ambos", "ambas"})
_SHARED_NOTE = "a distance in pips said for both: each signal's"


def merged(blocks: list[Block], items: list[Item]) -> list[Block]:
    """Return `blocks` with each block of exits alone folded into the signal after it."""
    if len(blocks) < 2:
        return blocks
    if any(item.text.lower() in _BOTH for item in items):
        _shared(blocks)
    kept: list[Block] = []
    for at, block in enumerate(blocks):
        following = blocks[at + 1] if at + 1 < len(blocks) else None
        if (
            following is not None
            and following.sides
            and _exits_only(block)
            and _fold(block, following)
        ):
            continue
        kept.append(block)
    return kept


def _exits_only(block: Block) -> bool:
    exits = block.sl is not None or block.sl_pips is not None or block.tps or block.tp_pips
    return bool(
        exits
        and block.symbol is None
        and not block.sides
        and block.entry is None
        and block.entry_range is None
        and not block.extra_entries
    )


def _fold(exits: Block, signal: Block) -> bool:
    # Each exit the signal lacks comes from the block before; one it writes too keeps the
    # signal's own, and the block before is left as it was (read as before: no signal).
    stop = exits.sl is not None or exits.sl_pips is not None
    targets = bool(exits.tps or exits.tp_pips)
    if (stop and (signal.sl is not None or signal.sl_pips is not None)) or (
        targets and (signal.tps or signal.tp_pips)
    ):
        return False
    if stop:
        signal.sl, signal.sl_pips = exits.sl, exits.sl_pips
    if targets:
        signal.tps, signal.tp_pips = exits.tps, exits.tp_pips
        signal.tp_open = signal.tp_open or exits.tp_open
    signal.explain[:0] = [*exits.explain, _NOTE]
    return True


def _shared(blocks: list[Block]) -> None:
    last = blocks[-1]
    for block in blocks[:-1]:
        if not block.sides:
            continue
        if last.sl_pips is not None and block.sl is None and block.sl_pips is None:
            block.sl_pips = last.sl_pips
            block.explain.append(_SHARED_NOTE)
        if last.tp_pips and not block.tps and not block.tp_pips:
            block.tp_pips = list(last.tp_pips)
            block.explain.append(_SHARED_NOTE)
