"""Build the MT5 records a paper account keeps: positions, deals and events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from signal_copier.core.market import (
    BrokerEvent,
    Deal,
    DealReason,
    EventKind,
    PendingOrder,
    Position,
)
from signal_copier.core.model import OrderRequest, Side


def new_position(
    source: OrderRequest | PendingOrder, position_id: str, price: Decimal, now: datetime
) -> Position:
    """Return the position an order opens at `price` (sl/tp already rounded on the source)."""
    return Position(
        id=position_id,
        symbol=source.symbol,
        side=source.side,
        volume=source.volume,
        open_price=price,
        sl=source.sl,
        tp=source.tp,
        client_id=source.client_id,
        opened=now,
    )


def new_deal(
    deal_id: str,
    order_id: str,
    position: Position,
    *,
    volume: Decimal,
    price: Decimal,
    reason: DealReason,
    profit: Decimal,
    now: datetime,
) -> Deal:
    """Return a deal; closing deals trade the opposite side, as MT5's OUT deals do."""
    closing = reason is not DealReason.OPEN
    return Deal(
        id=deal_id,
        order_id=order_id,
        position_id=position.id,
        client_id=position.client_id,
        symbol=position.symbol,
        side=opposite(position.side) if closing else position.side,
        volume=volume,
        price=price,
        time=now,
        reason=reason,
        profit=profit,
    )


def event_for(kind: EventKind, account_id: str, deal: Deal) -> BrokerEvent:
    """Return the event that reports a deal the account made by itself."""
    return BrokerEvent(
        kind=kind,
        account_id=account_id,
        position_id=deal.position_id,
        client_id=deal.client_id,
        symbol=deal.symbol,
        price=deal.price,
        volume=deal.volume,
        time=deal.time,
        reason=deal.reason,
        order_id=deal.order_id,
    )


def opposite(side: Side) -> Side:
    """Return the other side."""
    return Side.SELL if side is Side.BUY else Side.BUY
