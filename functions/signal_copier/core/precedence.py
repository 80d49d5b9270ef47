"""Which of two instructions about one trade wins when they arrive out of order (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import ChangeKind
from signal_copier.core.records import TradeRecord


def keep_later_follow_ups(
    ops: Sequence[Operation],
    later: Sequence[TradeRecord],
    items: Sequence[Position | PendingOrder],
) -> list[Operation]:
    """Drop from an edit's operations the levels that follow-ups posted after it set.

    An edit arriving late must not undo "move TP to 2670" posted after it: on each position a
    later follow-up changed, its SL or TP stays as that follow-up left it.
    """
    overridden: dict[str, set[str]] = {}
    for record in later:
        command = record.intent.command
        if command is None:
            continue
        fields = set()
        if command.sl is not None or command.sl_anchor or command.then_sl_anchor:
            fields.add("sl")
        if command.tps:
            fields.add("tp")
        for change in record.result.changes:
            overridden.setdefault(change.target, set()).update(fields)
    current = {item.id: item for item in items}
    kept = []
    for op in ops:
        fields, held = overridden.get(op.target, set()), current.get(op.target)
        if not fields or held is None:
            kept.append(op)
            continue
        sl = held.sl if "sl" in fields else op.sl
        tp = held.tp if "tp" in fields else op.tp
        price = op.price if op.kind is ChangeKind.ORDER else None
        unchanged = (sl, tp) == (held.sl, held.tp)
        if not (unchanged and (price is None or price == getattr(held, "price", None))):
            kept.append(replace(op, sl=sl, tp=tp))
    return kept
