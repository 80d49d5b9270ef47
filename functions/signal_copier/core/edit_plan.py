"""Edits → operations: carry an edited signal's new SL/TP/entry to the trades it opened."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from signal_copier.core.followups import (
    Operation,
    Target,
    leg_of,
    leg_tp,
    modify,
    owned,
    rounded,
)
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import Action, ChangeKind, Command, Signal
from signal_copier.core.planning import near_edge
from signal_copier.core.protection import in_prices
from signal_copier.core.stops import round_price
from signal_copier.core.symbol_map import same_instrument


def plan_edit(
    previous: Signal,
    signal: Signal,
    target: Target,
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
) -> list[Operation]:
    """Return the operations that carry an edited signal's new SL/TP/entry to its trades.

    Only the levels the edit changed move: a leg whose own TP the edit left as it was keeps
    whatever TP it has now (one set by hand, say), even when another leg's TP was edited.
    """
    mine, pending = owned(positions, target.client_id), owned(orders, target.client_id)
    if not (_in_pips(previous) or _in_pips(signal)):
        return _edit(previous, signal, target, mine, pending, specs)
    # Levels in pips are prices only from each position's or order's own entry.
    ops: list[Operation] = []
    for position in mine:
        at, spec = position.open_price, specs[position.symbol]
        was, now = in_prices(previous, at, spec), in_prices(signal, at, spec)
        ops += _edit(was, now, target, [position], [], specs)
    for order in pending:
        spec = specs[order.symbol]
        edge = near_edge(signal) if _entry_moved(previous, signal) else None
        was = in_prices(previous, order.price, spec)
        now = in_prices(signal, edge if edge is not None else order.price, spec)
        ops += _edit(was, now, target, [], [order], specs)
    return ops


def own_stops(
    previous: Signal,
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
) -> dict[str, Decimal]:
    """Return the stop a signal written in pips gave each position and order (by id)."""
    if previous.sl is not None or previous.sl_pips is None:
        return {}
    entries = [(p.id, p.symbol, p.open_price) for p in positions]
    entries += [(o.id, o.symbol, o.price) for o in orders]
    stops = {held: in_prices(previous, at, specs[symbol]).sl for held, symbol, at in entries}
    return {held: sl for held, sl in stops.items() if sl is not None}


def _edit(
    previous: Signal,
    signal: Signal,
    target: Target,
    mine: list[Position],
    pending: list[PendingOrder],
    specs: Mapping[str, SymbolSpec],
) -> list[Operation]:
    legs = sorted({leg_of(p.client_id) for p in mine} | {leg_of(o.client_id) for o in pending})
    tps = {
        leg: tp
        for leg in legs
        if (tp := leg_tp(signal.tps, leg)) is not None and tp != leg_tp(previous.tps, leg)
    }
    change = Command(
        action=Action.MODIFY,
        sl=signal.sl if signal.sl != previous.sl else None,
        tps=tuple(tps.values()),
        tp_numbers=tuple(leg + 1 for leg in tps),
    )
    ops = modify(change, target, mine, [], specs, Decimal(0))
    for order in pending:
        spec = specs[order.symbol]
        price = near_edge(signal) if _entry_moved(previous, signal) else order.price
        sl = signal.sl if change.sl is not None else order.sl
        tp = tps.get(leg_of(order.client_id), order.tp)
        if price is None:
            continue
        new = (round_price(price, spec), rounded(sl, spec), rounded(tp, spec))
        if new != (order.price, order.sl, order.tp):
            ops.append(
                Operation(
                    kind=ChangeKind.ORDER, target=order.id, price=new[0], sl=new[1], tp=new[2]
                )
            )
    return ops


def _in_pips(signal: Signal) -> bool:
    return signal.sl_pips is not None or bool(signal.tp_pips)


def _entry_moved(previous: Signal, signal: Signal) -> bool:
    return (signal.entry, signal.entry_range) != (previous.entry, previous.entry_range)


def trade_levels(signal: Signal) -> tuple[object, ...]:
    """Return what makes a signal a trade (to tell a real edit from a cosmetic one)."""
    return (
        signal.symbol,
        signal.side,
        signal.order_type,
        signal.entry,
        signal.entry_range,
        signal.sl,
        signal.tps,
        signal.sl_pips,
        signal.tp_pips,
        signal.tp_open,
    )


def turned(was: Signal, now: Signal) -> bool:
    """Return whether an edit turned a signal to another side or instrument (a new trade)."""
    return was.side is not now.side or not same_instrument(was.symbol, now.symbol)
