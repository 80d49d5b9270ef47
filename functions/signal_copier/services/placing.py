"""Sending a plan's orders, and finding what an earlier attempt already sent (by clientId)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from signal_copier.core import ids, reconcile
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.followups import leg_of
from signal_copier.core.market import AccountInfo
from signal_copier.core.model import Change, ChangeKind, Fill, Intent, OrderPlan
from signal_copier.core.ports import BrokerAccount
from signal_copier.services.fencing import LeaseLost, fence, still_held


async def send_orders(
    account: BrokerAccount, plan: OrderPlan, existing: dict[str, Fill]
) -> tuple[list[Fill], list[BrokerRejected]]:
    """Place a plan's orders, adopting the legs in `existing` instead of sending them again."""
    fills: list[Fill] = []
    errors: list[BrokerRejected] = []
    checked = False  # the store said the claim is ours just now (after the last placed leg)
    for order in plan.orders:
        if order.client_id in existing:
            fills.append(existing[order.client_id])
            continue
        # A worker whose intent was taken over must not place a second copy.
        await fence(store_checked=checked)
        checked = False
        try:
            fill = await account.place(order)
        except BrokerRejected as e:
            errors.append(e)
            continue
        if not await still_held():  # taken over while this order was on its way
            await _drop_if_duplicate(account, fill)
            raise LeaseLost(f"{order.client_id}: the intent was taken over while placing")
        checked = True
        fills.append(fill)
    return fills, errors


async def undo_fills(account: BrokerAccount, fills: Sequence[Fill]) -> list[Change]:
    """Close the positions and cancel the orders just placed (every one is tried)."""
    changes: list[Change] = []
    for fill in fills:
        try:
            if fill.pending:
                await account.cancel_order(fill.order_id)
                changes.append(Change(kind=ChangeKind.CANCEL, target=fill.order_id))
            elif fill.position_id is not None:
                await _close(account, fill.position_id, fill.volume, changes)
        except BrokerRejected:
            if fill.pending:  # the order may have filled before the cancel: close what it became
                for position in await account.positions():
                    if position.client_id == fill.client_id:
                        await _close(account, position.id, position.volume, changes)
    return changes


async def _close(
    account: BrokerAccount, position_id: str, volume: Decimal, into: list[Change]
) -> None:
    try:
        await account.close_position(position_id)
    except BrokerRejected:
        return  # gone already (closed, stopped out): nothing left to undo
    into.append(Change(kind=ChangeKind.CLOSE, target=position_id, volume=volume))


async def held_on_symbol(account: BrokerAccount, info: AccountInfo, symbol: str) -> int:
    """Return how many positions and orders a netting account holds on `symbol` (0: hedging)."""
    if not info.margin_mode.netted:
        return 0
    positions, orders = await account.positions(), await account.orders()
    return sum(p.symbol == symbol for p in positions) + sum(o.symbol == symbol for o in orders)


async def _drop_if_duplicate(account: BrokerAccount, fill: Fill) -> None:
    # The worker that took over may have placed this leg too: keep one, remove ours.
    positions, orders = await account.positions(), await account.orders()
    twins = [p.id for p in positions if p.client_id == fill.client_id]
    twins += [o.id for o in orders if o.client_id == fill.client_id]
    if len(twins) > 1:
        await undo_fills(account, [fill])


async def placed_before(account: BrokerAccount, intent: Intent) -> dict[str, Fill]:
    """Return the legs of `intent` an earlier attempt placed: positions, orders, history."""
    found: dict[str, Fill] = {}
    # The broker's clock may run behind ours: read from a margin back, then match by clientId.
    for deal in await account.history(reconcile.history_start(intent.received)):
        found.setdefault(
            deal.client_id,
            _fill(deal.client_id, deal.order_id, deal.position_id, deal.volume, deal.price),
        )
    for order in await account.orders():
        found[order.client_id] = _fill(order.client_id, order.id, None, order.volume, order.price)
    for position in await account.positions():
        found[position.client_id] = _fill(
            position.client_id, "", position.id, position.volume, position.open_price
        )
    return {cid: f for cid, f in found.items() if ids.intent_client_of(cid) == intent.client_id}


def _fill(
    client_id: str, order_id: str, position_id: str | None, volume: Decimal, price: Decimal
) -> Fill:
    return Fill(
        client_id=client_id,
        order_id=order_id,
        position_id=position_id,
        volume=volume,
        price=price,
        leg=leg_of(client_id),
        pending=position_id is None,
    )
