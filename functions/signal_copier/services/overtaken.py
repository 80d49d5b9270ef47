"""A follow-up delivered after its signal's later edit leaves the levels that edit replaced.

"SL 2640 TP1 2660" (or "move SL to 2645", "TP2 2680") posted before the channel edited the
signal to corrected levels, but delivered after that edit was carried: in the order posted the
edit came last, so the follow-up sets none of the levels the edit changed. Its other levels
still go. A stop is held back only for a user who allows looser stops: otherwise a follow-up's
stop goes only when it protects more, and in either order the trade keeps the tighter one.
"""

from __future__ import annotations

from collections.abc import Sequence

from signal_copier.core import ids
from signal_copier.core.followups import Operation, Target, owned
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import ChangeKind, Intent, IntentKind
from signal_copier.core.precedence import edited_after, held_back
from signal_copier.core.records import TradeRecord
from signal_copier.services.deps import Deps

_LEVELS = (ChangeKind.SL, ChangeKind.TP, ChangeKind.ORDER)
LATE = ids.LATE_OPENING_VERSION


async def edits_kept(
    deps: Deps,
    intent: Intent,
    ops: list[Operation],
    chosen: tuple[Sequence[TradeRecord], Sequence[Target]],
    live: tuple[Sequence[Position], Sequence[PendingOrder]],
    allow_looser_sl: bool,
) -> tuple[list[Operation], tuple[str, ...], list[Operation]]:
    """Return `ops` without the levels a later edit of their signal replaced, a note, and the
    stops held back so (for a risk-sized trade, whose cut they still make).

    `chosen`: the trade records the targets were chosen from, and the targets; `live`: their
    positions and orders.
    """
    if not any(op.kind in _LEVELS for op in ops):
        return ops, (), []
    records, targets = chosen
    by_client = {r.intent.client_id: r for r in records}
    overridden: dict[str, frozenset[str]] = {}
    read: dict[str, list[TradeRecord]] = {}  # one read per post, whatever its signals' count
    for target in targets:
        opening = by_client.get(target.client_id)
        if opening is None or not _maybe_edited(opening):
            continue
        ref = ids.signal_ref(intent.chat_id, opening.intent.message_id)
        if ref not in read:
            read[ref] = await deps.store.trades(intent.user_id, ref)
        filed = read[ref]
        edits = [r for r in filed if r.intent.part == opening.intent.part]
        fields = edited_after(intent.message_date, edits)
        if not allow_looser_sl:
            fields -= {"sl"}
        positions, orders = live
        mine = [p.id for p in owned(positions, target.client_id)]
        mine += [o.id for o in owned(orders, target.client_id)]
        overridden.update(dict.fromkeys(mine, fields))
    kept = held_back(ops, overridden, [*live[0], *live[1]])
    if kept == ops:
        return ops, (), []
    note = (
        "levels the signal's edit, made after this message, set were left as that edit set "
        "them: in the order posted the edit came last"
    )
    return kept, (note,), _stops_held(ops, overridden, live[0])


def _stops_held(
    ops: Sequence[Operation], overridden: dict[str, frozenset[str]], positions: Sequence[Position]
) -> list[Operation]:
    # The stops a later edit replaced, on positions: in the order posted each was set first.
    stops = {p.id: p.sl for p in positions}
    return [
        Operation(kind=ChangeKind.SL, target=op.target, sl=op.sl)
        for op in ops
        if op.sl is not None
        and "sl" in overridden.get(op.target, ())
        and op.target in stops
        and op.sl != stops[op.target]
    ]


def _maybe_edited(opening: TradeRecord) -> bool:
    # Only an edit carried to the trade (it records the edited signal on the opening), or one
    # that opened it: as a fix (an edit's own opening) or as the signal's late opening, which
    # an edit adding the stop shares with the levels.
    kind, version = opening.intent.kind, opening.intent.version
    return opening.current is not None or kind is not IntentKind.OPEN or version == LATE
