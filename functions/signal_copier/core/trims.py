"""Trims that keep a risk-sized trade's risk when an edit moves its stop further away."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core import ids
from signal_copier.core.followups import Operation, leg_of
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import ChangeKind, OrderRequest, Side
from signal_copier.core.sizing import truncate_volume

# clientId of a leg → the volume it was opened with, the stop and the entry it was sized for
Sized = Mapping[str, tuple[Decimal, Decimal | None, Decimal | None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Replacement:
    """A smaller copy of a pending order, placed before the order it replaces is cancelled."""

    replaces: str  # the pending order's id
    order: OrderRequest


def risk_trims(
    ops: Sequence[Operation],
    positions: Sequence[Position],
    specs: Mapping[str, SymbolSpec],
    sized: Sized,
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
        position = by_id.get(op.target) if op.kind is ChangeKind.SL else None
        keep = None
        if position is not None:
            volume, stop, _ = sized.get(position.client_id, (position.volume, position.sl, None))
            spec = specs[position.symbol]
            keep = _keep(position.side, volume, (position.open_price, stop), (None, op.sl), spec)
        if keep is None or position is None or keep >= position.volume:
            planned.append(op)
            continue
        if keep < specs[position.symbol].volume_min:
            planned.append(Operation(kind=ChangeKind.CLOSE, target=position.id))
            notes.append(
                f"position {position.id} closed: its wider stop ({op.sl}) would risk more than "
                "the trade was sized for, even at the minimum volume"
            )
            continue
        cut = position.volume - keep
        planned += [Operation(kind=ChangeKind.PARTIAL_CLOSE, target=position.id, volume=cut), op]
        notes.append(
            f"position {position.id} cut from {position.volume} to {position.volume - cut} lots "
            f"so its wider stop "
            f"({op.sl}) risks no more than the trade was sized for"
        )
    return planned, notes


def order_trims(
    ops: Sequence[Operation],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    sized: Sized,
    client_id: str,
) -> tuple[list[Operation], list[Replacement], list[str]]:
    """Return `ops` with each pending order whose new levels risk more than it was sized for
    cancelled instead of changed, the smaller orders (clientIds under `client_id`) to place
    before those cancels, and a note for each.

    A broker cannot shrink a pending order, so a copy with the volume that risks what the order
    was sized for takes its place; under the minimum volume the order is only cancelled.
    """
    by_id = {order.id: order for order in orders}
    planned: list[Operation] = []
    replacements: list[Replacement] = []
    notes: list[str] = []
    for op in ops:
        order = by_id.get(op.target) if op.kind is ChangeKind.ORDER else None
        keep = None
        if order is not None:
            volume, stop, entry = sized.get(order.client_id, (order.volume, order.sl, order.price))
            before, after = (entry or order.price, stop), (op.price, op.sl)
            keep = _keep(order.side, volume, before, after, specs[order.symbol])
        if keep is None or order is None or keep >= order.volume:
            planned.append(op)
            continue
        planned.append(Operation(kind=ChangeKind.CANCEL, target=order.id))
        if keep < specs[order.symbol].volume_min:
            notes.append(
                f"order {order.id} cancelled: its wider stop ({op.sl}) would risk more than "
                "the order was sized for, even at the minimum volume"
            )
            continue
        leg = leg_of(order.client_id)
        copy = OrderRequest(
            client_id=ids.leg_client_id(client_id, leg),
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            volume=keep,
            price=op.price,
            sl=op.sl,
            tp=op.tp,
            leg=leg,
        )
        replacements.append(Replacement(replaces=order.id, order=copy))
        notes.append(
            f"order {order.id} replaced by one of {keep.quantize(order.volume)} lots instead of "
            f"{order.volume} so its "
            f"wider stop ({op.sl}) risks no more than the order was sized for"
        )
    return planned, replacements, notes


def _keep(
    side: Side,
    volume: Decimal,
    before: tuple[Decimal, Decimal | None],
    after: tuple[Decimal | None, Decimal | None],
    spec: SymbolSpec,
) -> Decimal | None:
    # The volume that risks, from `after` (entry, stop), what `volume` risked from `before`;
    # None when the stop did not move further away (an after entry of None: the same entry).
    entry, stop = before
    new_entry, new_stop = after
    if stop is None or new_stop is None:
        return None
    was = (entry - stop) * side.sign  # > 0: the stop was on the losing side
    now = ((entry if new_entry is None else new_entry) - new_stop) * side.sign
    if not now > was > 0:
        return None
    return truncate_volume(volume * was / now, spec)
