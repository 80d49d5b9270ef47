"""Position management after the account acts by itself: TP hits and stale pending entries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from signal_copier.core.followups import Operation, Target, leg_of, owned
from signal_copier.core.market import DealReason, PendingOrder, Position, SymbolSpec
from signal_copier.core.model import ChangeKind
from signal_copier.core.protection import in_prices
from signal_copier.core.settings import TradeSettings
from signal_copier.core.stops import round_price


def plan_after_close(
    closed_client_id: str,
    reason: DealReason,
    target: Target,
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    settings: TradeSettings,
) -> list[Operation]:
    """Return what to do when one leg of a signal closed at its TP (breakeven, trail, cancel).

    A stop found where it would be moved already is planned too (its position needs nothing
    sent; a retry records it as what the attempt cut short did).
    """
    if reason is not DealReason.TP:
        return []
    leg = leg_of(closed_client_id)
    ops: list[Operation] = []
    for position in owned(positions, target.client_id):
        spec = specs[position.symbol]
        # Targets written in pips are prices from the position's own entry.
        tps = in_prices(target.signal, position.open_price, spec).tps
        sl = None
        if leg >= 1 and settings.trail_sl_to_previous_tp and len(tps) >= leg:
            sl = tps[leg - 1]
        if sl is None and settings.breakeven_on_tp1 and leg == 0:
            sl = (
                position.open_price + position.side.sign * settings.breakeven_buffer_pips * spec.pip
            )
        if sl is None:
            continue
        sl = round_price(sl, spec)
        improves = position.sl is None or (sl - position.sl) * position.side.sign >= 0
        if improves:
            ops.append(Operation(kind=ChangeKind.SL, target=position.id, sl=sl, tp=position.tp))
    if leg == 0 and settings.cancel_pending_on_tp1:
        ops += [
            Operation(kind=ChangeKind.CANCEL, target=o.id) for o in owned(orders, target.client_id)
        ]
    return ops


def expired_orders(
    placed_at: datetime,
    target: Target,
    orders: Sequence[PendingOrder],
    now: datetime,
    expiry_minutes: int | None,
) -> list[Operation]:
    """Return cancellations for a signal's pending entries older than the user's expiry."""
    if not entry_expired(placed_at, now, expiry_minutes):
        return []
    return [Operation(kind=ChangeKind.CANCEL, target=o.id) for o in owned(orders, target.client_id)]


def entry_expired(placed_at: datetime, now: datetime, expiry_minutes: int | None) -> bool:
    """Return whether entries placed at `placed_at` have outlived the user's pending expiry."""
    return expiry_minutes is not None and now - placed_at >= timedelta(minutes=expiry_minutes)
