"""Settle what a level list means once the whole block is read: an entry, not targets."""

from __future__ import annotations

from signal_copier.core.model import Side
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.numbers import price_like


def side_entry(block: Block) -> None:
    """Read a side word's level list as the entry when the targets have their own label."""
    # "Buy: 27.0" under a SHORT whose targets have their own label: the side word's list is the
    # entry (one price, or a zone's two edges). The stop must still agree (checked in build).
    start, end = block.side_list
    if block.entry is not None or block.entry_range is not None or end == start:
        return
    if end - start > 2 or end - start == len(block.tps):
        return  # more than a zone, or no other targets: the list is the targets
    listed = block.tps[start:end]
    del block.tps[start:end]
    if len(listed) == 1:
        block.entry = listed[0]
        read = f"entry={listed[0]!s}"
    else:
        block.entry_range = (min(listed), max(listed))
        read = f"entry_range={block.entry_range[0]!s}..{block.entry_range[1]!s}"
    shown = " ".join(map(str, listed))
    block.explain.append(f'"{shown}" → {read} (not targets: the targets have their own label)')


def target_zone(block: Block, side: Side) -> None:
    """Read a target mark over a zone, before targets beyond it, as the entry zone."""
    # "XAUUSD SELL NOW ⏎ 🎯4470-- 4471🎯 ⏎ SL 4480 ⏎ TP 4460": with no entry, a first target
    # label over a two-price zone, followed by targets beyond it and a stop behind it, marks
    # the entry zone.
    if block.entry is not None or block.entry_range is not None or len(block.tps) < 3:
        return
    low, high = sorted(block.tps[:2])
    rest = block.tps[2:]
    beyond = all((tp > high) if side is Side.BUY else (tp < low) for tp in rest)
    behind = block.sl is None or ((block.sl < low) if side is Side.BUY else (block.sl > high))
    if not (beyond and behind and price_like(high, low)):
        return
    del block.tps[:2]
    block.entry_range = (low, high)
    block.explain.append(f'"{low} {high}" → entry_range (a zone before the targets beyond it)')
