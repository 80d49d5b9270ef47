"""Trims that keep a risk-sized trade's risk when an edit moves its stop further away."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import ChangeKind
from signal_copier.core.sizing import truncate_volume


def risk_trims(
    ops: Sequence[Operation],
    positions: Sequence[Position],
    specs: Mapping[str, SymbolSpec],
    sized: Mapping[str, tuple[Decimal, Decimal | None]],
) -> tuple[list[Operation], list[str]]:
    """Return `ops` with a trim before each stop moved further away, and a note for each.

    A leg opened with volume V for a stop `d` away (`sized`: leg clientId → V and that stop)
    holds at most V × d / d' once its stop is `d'` away (down to the volume step): the money at
    risk stays what it was sized for. Judged from the opening, not the position now, so a retry
    after the trim trims nothing more. Under the broker's minimum volume the position is closed,
    as such a trade would never have been opened.
    """
    by_id = {position.id: position for position in positions}
    planned: list[Operation] = []
    notes: list[str] = []
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
            notes.append(
                f"position {position.id} closed: its wider stop ({op.sl}) would risk more than "
                "the trade was sized for, even at the minimum volume"
            )
            continue
        planned.append(op)
        kept = position.volume - (trim.volume or 0)
        notes.append(
            f"position {position.id} cut from {position.volume} to {kept} lots so its wider stop "
            f"({op.sl}) risks no more than the trade was sized for"
        )
    return planned, notes


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
    if keep < spec.volume_min:
        return Operation(kind=ChangeKind.CLOSE, target=position.id)
    return Operation(
        kind=ChangeKind.PARTIAL_CLOSE, target=position.id, volume=position.volume - keep
    )


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
