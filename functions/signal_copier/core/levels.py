"""New SL/TP/entry levels from follow-ups and edits pass the checks an opening passes.

Each level is judged for the position or order it lands on: a price a power of ten away from
that position's own price is a slip; an SL belongs on the protective side of the price the
position closes at (a pending order's: of its entry) and a TP on the profit side, moved out of
the stops level when too near; a stop that already protects more is kept unless the user allows
loosening. A level refused for one position still applies to the others, so a reply to a gold +
EURUSD post moves the stop of the symbol it fits, and the record says what was refused and why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from signal_copier.core.checked import Checked, Refusal
from signal_copier.core.followups import Operation
from signal_copier.core.guards import slipped
from signal_copier.core.market import PendingOrder, Position, Quote, SymbolSpec
from signal_copier.core.model import ChangeKind, Side
from signal_copier.core.reasons import Reason
from signal_copier.core.stops import clear_level, round_price, stops_distance
from signal_copier.core.typos import meant_level

POSITION_LEVELS = (ChangeKind.SL, ChangeKind.TP)


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """What a follow-up or an edit may do to a stop."""

    allow_looser_sl: bool = False
    own_sl: Decimal | None = None  # an edit may still move the signal's own stop either way
    # The signal's own stop of each position or order (by id) where it was written in pips.
    own_sls: Mapping[str, Decimal] = field(default_factory=dict)
    # The targets of the signal each position or order (by id) belongs to: a stop is judged
    # against all of them, as an opening's is, though one leg holds only its own.
    signal_tps: Mapping[str, tuple[Decimal, ...]] = field(default_factory=dict)


def check_operations(
    ops: Sequence[Operation],
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    quotes: Mapping[str, Quote],
    specs: Mapping[str, SymbolSpec],
    policy: Policy,
) -> Checked:
    """Return `ops` with every new level checked; refused levels are kept at their old value.

    `quotes` are by symbol; without one, a position's side checks are left to the broker.
    """
    by_position = {p.id: p for p in positions}
    by_order = {o.id: o for o in orders}
    targets = _targets(ops, [*positions, *orders], policy.signal_tps)
    out = _Verdicts()
    kept: list[Operation] = []
    already: list[Operation] = []
    for op in ops:
        checked: Operation | None = op
        refused = len(out.refusals)
        if op.kind in POSITION_LEVELS and op.target in by_position:
            position = by_position[op.target]
            where = _position_where(position, quotes.get(position.symbol), specs, policy)
            checked = _levels(op, where, out, targets[position.symbol, position.side])
        elif op.kind is ChangeKind.ORDER and op.target in by_order:
            order = by_order[op.target]
            checked = _order(op, order, specs[order.symbol], policy, out, targets)
        if checked is not None:
            kept.append(checked)
        elif len(out.refusals) == refused:
            already.append(op)
    return Checked(
        operations=tuple(kept),
        refusals=tuple(out.refusals),
        notes=tuple(out.notes),
        already=tuple(already),
    )


@dataclass(slots=True)
class _Verdicts:
    refusals: list[Refusal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def refuse(
        self,
        item: Position | PendingOrder,
        label: str,
        price: Decimal,
        reason: Reason,
        detail: str,
        keep: Decimal | None = None,
    ) -> Decimal | None:
        # Note the refusal; return the level to keep in its place.
        refusal = Refusal(
            target=item.id,
            symbol=item.symbol,
            level=label,
            price=price,
            reason=reason,
            detail=detail,
        )
        self.refusals.append(refusal)
        return keep


@dataclass(frozen=True, slots=True, kw_only=True)
class _Where:
    item: Position | PendingOrder
    anchor: Decimal  # the item's own price: a level a power of ten from it is a slip
    reference: Decimal | None  # where the broker judges SL and TP sides (None: no quote)
    spec: SymbolSpec
    policy: Policy
    price: Decimal | None = None  # a pending order's (new) entry


def _position_where(
    position: Position, quote: Quote | None, specs: Mapping[str, SymbolSpec], policy: Policy
) -> _Where:
    closing = quote.price_for(position.side, closing=True) if quote is not None else None
    return _Where(
        item=position,
        anchor=position.open_price,
        reference=closing,
        spec=specs[position.symbol],
        policy=policy,
    )


def _targets(
    ops: Sequence[Operation],
    items: Sequence[Position | PendingOrder],
    signal_tps: Mapping[str, tuple[Decimal, ...]],
) -> dict[tuple[str, Side], tuple[Decimal, ...]]:
    # Every target, old and new, of each instrument and side: a stop is judged against the
    # furthest of its trade's targets (as an opening's is), never one leg's nearest.
    found: dict[tuple[str, Side], list[Decimal]] = {}
    new = {op.target: op.tp for op in ops}
    for item in items:
        levels = found.setdefault((item.symbol, item.side), [])
        levels += [tp for tp in (item.tp, new.get(item.id)) if tp is not None]
        levels += signal_tps.get(item.id, ())
    return {key: tuple(levels) for key, levels in found.items()}


def _order(
    op: Operation,
    order: PendingOrder,
    spec: SymbolSpec,
    policy: Policy,
    out: _Verdicts,
    targets: Mapping[tuple[str, Side], tuple[Decimal, ...]],
) -> Operation | None:
    price = order.price if op.price is None else op.price
    if price != order.price and slipped(price, order.price):
        out.refuse(order, "entry", price, Reason.PRICE_DECIMAL_SLIP, _slip(order.price))
        price = order.price
    where = _Where(item=order, anchor=price, reference=price, spec=spec, policy=policy, price=price)
    return _levels(op, where, out, targets[order.symbol, order.side])


def _levels(
    op: Operation, where: _Where, out: _Verdicts, targets: tuple[Decimal, ...]
) -> Operation | None:
    item = where.item
    sl = _level("SL", op.sl, item.sl, where, out, protective=True, targets=targets)
    tp = _level("TP", op.tp, item.tp, where, out, protective=False)
    if isinstance(item, PendingOrder):
        if (where.price, sl, tp) == (item.price, item.sl, item.tp):
            return None
        return Operation(kind=ChangeKind.ORDER, target=item.id, price=where.price, sl=sl, tp=tp)
    if (sl, tp) == (item.sl, item.tp):
        return None
    kind = ChangeKind.SL if sl != item.sl else ChangeKind.TP
    return Operation(kind=kind, target=item.id, sl=sl, tp=tp)


def _level(
    label: str,
    new: Decimal | None,
    current: Decimal | None,
    where: _Where,
    out: _Verdicts,
    *,
    protective: bool,
    targets: tuple[Decimal, ...] = (),
) -> Decimal | None:
    # Returns the level to set: the new one (perhaps moved out of the stops level) or, when it
    # is refused, the current one. None never removes a level here: it means "unchanged".
    if new is None or new == current:
        return current
    item = where.item
    if slipped(new, where.anchor):
        return out.refuse(item, label, new, Reason.PRICE_DECIMAL_SLIP, _slip(where.anchor), current)
    # A stop moved closer never risks more: only a looser (or a first) one may be a typo.
    wider = protective and (current is None or _looser(new, current, item.side))
    meant = meant_level(new, where.anchor, item.side, targets) if wider else None
    if meant is not None:
        detail = f"it lies far beyond the target, where {meant} would fit (a typo?)"
        return out.refuse(item, label, new, Reason.PRICE_TYPO, detail, current)
    level = new
    if where.reference is not None:
        cleared = clear_level(
            new, where.reference, item.side, protective=protective, spec=where.spec
        )
        if cleared is None:
            reason = Reason.SL_WRONG_SIDE if protective else Reason.TP_WRONG_SIDE
            side = _side_word(item.side, protective)
            detail = f"it is not {side} the price {where.reference} for a {item.side}"
            return out.refuse(item, label, new, reason, detail, current)
        if cleared != new:
            out.notes.append(
                f"{item.symbol} #{item.id}: {label} {new} moved to {cleared}: the broker's stops "
                f"level keeps it {stops_distance(where.spec)} from {where.reference}"
            )
        level = cleared
    if protective and _looser(level, current, item.side) and not _may_loosen(current, where):
        detail = f"the stop at {current} already protects more than {level}; kept"
        return out.refuse(item, label, new, Reason.STOP_KEPT, detail, current)
    return level


def _looser(level: Decimal, current: Decimal | None, side: Side) -> bool:
    return current is not None and (level - current) * side.sign < 0


def _may_loosen(current: Decimal | None, where: _Where) -> bool:
    policy = where.policy
    if policy.allow_looser_sl:
        return True
    own = policy.own_sls.get(where.item.id, policy.own_sl)
    return own is not None and current == round_price(own, where.spec)


def _side_word(side: Side, protective: bool) -> str:
    below = (side is Side.BUY) == protective
    return "below" if below else "above"


def _slip(anchor: Decimal) -> str:
    return f"it is a power of ten away from the price {anchor} (a typo?)"
