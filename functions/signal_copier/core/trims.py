"""Trims that keep a risk-sized trade's risk when an edit moves its stop further away."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import ChangeKind
from signal_copier.core.sizing import truncate_volume

CUTS = (ChangeKind.CLOSE, ChangeKind.PARTIAL_CLOSE)  # an edit closes only to keep a risk


def risk_trims(
    ops: Sequence[Operation],
    positions: Sequence[Position],
    specs: Mapping[str, SymbolSpec],
    sized: Mapping[str, tuple[Decimal, Decimal | None]],
) -> tuple[list[Operation], dict[str, str]]:
    """Return `ops` with a trim before each stop moved further away, and a note for each.

    The notes are by position id.

    A leg opened with volume V for a stop `d` away (`sized`: leg clientId → V and that stop)
    holds at most V × d / d' once its stop is `d'` away (down to the volume step): the money at
    risk stays what it was sized for. Judged from the opening, not the position now, so a retry
    after the trim trims nothing more. A cut under the broker's minimum volume is the minimum;
    what would leave less than the minimum open closes the position, as such a trade would never
    have been opened.
    """
    by_id = {position.id: position for position in positions}
    planned: list[Operation] = []
    notes: dict[str, str] = {}
    for op in ops:
        position = by_id.get(op.target)
        trim = None
        if position is not None:
            opened = sized.get(position.client_id, (position.volume, position.sl))
            trim = _trim(op, position, specs[position.symbol], opened)
        if trim is None or position is None:
            planned.append(op)
            continue
        planned.append(trim)
        if trim.kind is ChangeKind.CLOSE:
            notes[position.id] = (
                f"position {position.id} closed: its wider stop ({op.sl}) would risk more than "
                "the trade was sized for, even at the minimum volume"
            )
            continue
        planned.append(op)
        kept = position.volume - (trim.volume or 0)
        notes[position.id] = (
            f"position {position.id} cut from {position.volume} to {kept} lots so its wider stop "
            f"({op.sl}) risks no more than the trade was sized for"
        )
    return planned, notes


def stops_kept(
    ops: Sequence[Operation], refused: Collection[str], positions: Sequence[Position]
) -> tuple[list[Operation], list[str]]:
    """Return `ops` without the wider stops of the positions whose cut was `refused`, noted.

    A wider stop without its cut would risk more than the trade was sized for: the stop stays
    where it is, and a new TP in the same change still goes.
    """
    by_id = {position.id: position for position in positions}
    kept: list[Operation] = []
    notes: list[str] = []
    for op in ops:
        position = by_id.get(op.target)
        if position is None or op.target not in refused or op.kind is not ChangeKind.SL:
            kept.append(op)
            continue
        notes.append(
            f"position {position.id}: its stop was kept at {position.sl}, as it could not be cut "
            f"to the volume that its wider stop ({op.sl}) may risk"
        )
        if op.tp is not None and op.tp != position.tp:
            kept.append(replace(op, kind=ChangeKind.TP, sl=position.sl))
    return kept, notes


def _trim(
    op: Operation, position: Position, spec: SymbolSpec, opened: tuple[Decimal, Decimal | None]
) -> Operation | None:
    volume, stop = opened
    if op.kind is not ChangeKind.SL:
        return None
    price = position.open_price
    keep = _kept(position.side.sign, volume, (price, stop), (price, op.sl), spec)
    if keep is None or keep >= position.volume:
        return None
    # The broker closes no less than its minimum: a smaller cut takes the minimum (less risk
    # still), unless that would leave less than the minimum open.
    cut = max(position.volume - keep, spec.volume_min)
    if position.volume - cut < spec.volume_min:
        return Operation(kind=ChangeKind.CLOSE, target=position.id)
    return Operation(kind=ChangeKind.PARTIAL_CLOSE, target=position.id, volume=cut)


def _kept(
    sign: int,
    volume: Decimal,
    before: tuple[Decimal | None, Decimal | None],
    after: tuple[Decimal | None, Decimal | None],
    spec: SymbolSpec,
) -> Decimal | None:
    # The volume that risks from `after` (entry, stop) what `volume` risked from `before`, down
    # to the step; None unless both stops are known and the new one is further from its entry.
    (entry, stop), (new_entry, new_stop) = before, after
    if entry is None or stop is None or new_entry is None or new_stop is None:
        return None
    was, now = (entry - stop) * sign, (new_entry - new_stop) * sign  # > 0: on the losing side
    if not now > was > 0:
        return None
    return truncate_volume(volume * was / now, spec)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resize:
    """A pending entry sent again, smaller, because an edit moved its stop further away."""

    order: PendingOrder  # as it waits now: cancelled first
    volume: Decimal  # what it is placed again with; 0: only cancelled (under the minimum)
    price: Decimal
    sl: Decimal | None
    tp: Decimal | None


def order_resizes(
    ops: Sequence[Operation],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    sized: Mapping[str, tuple[Decimal, Decimal | None, Decimal | None]],
) -> tuple[list[Operation], list[Resize]]:
    """Split from `ops` the pending-order changes that must be sent again at a smaller volume.

    A pending order's volume cannot be changed: one placed with V lots for a stop `d` from its
    entry (`sized`: leg clientId → V, that stop, that entry) whose edit puts the stop `d'` away
    is cancelled and placed again with V × d / d' (down to the step), under its own clientId.
    Judged from the opening: once placed again, the same edit finds nothing more to do.
    """
    by_id = {order.id: order for order in orders}
    kept: list[Operation] = []
    resizes: list[Resize] = []
    for op in ops:
        order = by_id.get(op.target)
        opened = sized.get(order.client_id) if order is not None else None
        keep = None
        if order is not None and opened is not None and op.kind is ChangeKind.ORDER:
            keep = _order_keep(op, order, specs[order.symbol], opened)
        if order is None or keep is None or op.price is None:
            kept.append(op)
            continue
        volume = keep if keep >= specs[order.symbol].volume_min else Decimal(0)
        resizes.append(Resize(order=order, volume=volume, price=op.price, sl=op.sl, tp=op.tp))
    return kept, resizes


def _order_keep(
    op: Operation,
    order: PendingOrder,
    spec: SymbolSpec,
    opened: tuple[Decimal, Decimal | None, Decimal | None],
) -> Decimal | None:
    volume, stop, entry = opened
    keep = _kept(order.side.sign, volume, (entry, stop), (op.price, op.sl), spec)
    return keep if keep is not None and keep < order.volume else None
