"""What a broker account looks like: specs, quotes, positions, orders, deals, events."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from signal_copier.core.model import OrderType, Side


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """A user's broker login: the account id and the (secret) token; never logged."""

    account_id: str
    token: str = ""

    def __repr__(self) -> str:
        return f"Credentials(account_id={self.account_id!r}, token=***)"


class MarginMode(StrEnum):
    """How the account books positions (MT5 ACCOUNT_MARGIN_MODE_*)."""

    HEDGING = "hedging"  # one position per order: one per TP works
    NETTING = "netting"  # one position per symbol: a second order adds to or nets the first
    EXCHANGE = "exchange"  # exchange netting

    @property
    def netted(self) -> bool:
        """Return whether orders on one symbol net into a single position."""
        return self is not MarginMode.HEDGING


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountInfo:
    """Balance and equity in the account currency, and how positions are booked."""

    account_id: str
    balance: Decimal
    equity: Decimal
    currency: str
    margin_mode: MarginMode = MarginMode.HEDGING


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolSpec:
    """A broker symbol's trading specification (MT5 terms)."""

    symbol: str
    digits: int
    point: Decimal  # smallest price increment
    tick_size: Decimal
    tick_value: Decimal  # account-currency value of one tick for one lot
    contract_size: Decimal
    volume_min: Decimal
    volume_max: Decimal
    volume_step: Decimal
    stops_level: int = 0  # minimum SL/TP distance from price, in points
    pip_size: Decimal | None = None  # price of one pip; None → derived from digits

    @property
    def pip(self) -> Decimal:
        """Return the price size of one pip (10 points on 5/3-digit symbols)."""
        if self.pip_size is not None:
            return self.pip_size
        return self.point * 10 if self.digits in (3, 5) else self.point


@dataclass(frozen=True, slots=True, kw_only=True)
class Quote:
    """Best bid and ask at a moment."""

    symbol: str
    bid: Decimal
    ask: Decimal
    time: datetime
    # The account-currency value of one tick for one lot at this price (it moves with the
    # price on cross pairs); None when the broker gives it only with the spec.
    tick_value: Decimal | None = None

    @property
    def spread(self) -> Decimal:
        """Return ask minus bid."""
        return self.ask - self.bid

    def price_for(self, side: Side, *, closing: bool = False) -> Decimal:
        """Return the price a market order on `side` fills at (buy at ask, sell at bid)."""
        buying = (side is Side.BUY) != closing
        return self.ask if buying else self.bid


@dataclass(frozen=True, slots=True, kw_only=True)
class Position:
    """An open position."""

    id: str
    symbol: str
    side: Side
    volume: Decimal
    open_price: Decimal
    sl: Decimal | None = None
    tp: Decimal | None = None
    client_id: str = ""
    opened: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingOrder:
    """A limit or stop order waiting for its price."""

    id: str
    symbol: str
    side: Side
    order_type: OrderType
    volume: Decimal
    price: Decimal
    sl: Decimal | None = None
    tp: Decimal | None = None
    client_id: str = ""


class DealReason(StrEnum):
    OPEN = "open"
    CLOSE = "close"  # closed by the copier or the user
    SL = "sl"
    TP = "tp"


@dataclass(frozen=True, slots=True, kw_only=True)
class Deal:
    """One execution in the account history (opening or closing volume)."""

    id: str
    order_id: str
    position_id: str
    client_id: str
    symbol: str
    side: Side
    volume: Decimal
    price: Decimal
    time: datetime
    reason: DealReason
    profit: Decimal = Decimal(0)


class EventKind(StrEnum):
    ORDER_FILLED = "order_filled"  # a pending order became a position
    POSITION_CLOSED = "position_closed"  # in full, by SL, TP or by hand
    POSITION_REDUCED = "position_reduced"  # partly closed (polled deals; see broker_events)


@dataclass(frozen=True, slots=True, kw_only=True)
class BrokerEvent:
    """Something the account did by itself (fills, SL/TP hits) that position management acts on."""

    kind: EventKind
    account_id: str
    position_id: str
    client_id: str
    symbol: str
    price: Decimal
    volume: Decimal
    time: datetime
    reason: DealReason = DealReason.CLOSE
    order_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountPoll:
    """A request to read one account's new deals (the sweep sends one per watched account).

    Every copy for the same account and minute is equal, so a duplicate is a harmless repeat.
    """

    user_id: str
    minute: datetime  # the sweep's minute: a poll long past it is superseded by newer ones
    since: datetime  # the account's deal cursor when the sweep read it


def broker_events(
    account_id: str,
    deals: Iterable[Deal],
    *,
    open_positions: Collection[str],
    pending_orders: Collection[str] = (),
    owners: Mapping[str, str] | None = None,
) -> list[BrokerEvent]:
    """Return the events that polled deals mean, oldest first (the sweep's source of events).

    - an opening deal of an order in `pending_orders` (entries that were waiting) → ORDER_FILLED;
      other opening deals (market orders the copier sent itself) are no event;
    - a closing deal by SL or TP → POSITION_CLOSED (MT5 closes the whole position on a hit);
    - any other closing deal → POSITION_CLOSED if its position is not in `open_positions`, else
      POSITION_REDUCED. Read `open_positions` after the deals: a position closed in full between
      the two reads is then reported closed, never reduced.

    `owners` (position id → clientId) fills the clientId of deals that lost it (brokers write
    their own comment on SL/TP fills, where MetaAPI keeps the clientId).
    """
    events = []
    for deal in sorted(deals, key=lambda d: (d.time, d.id)):
        if deal.reason is DealReason.OPEN:
            if deal.order_id not in pending_orders:
                continue
            kind = EventKind.ORDER_FILLED
        elif deal.reason in (DealReason.SL, DealReason.TP):
            kind = EventKind.POSITION_CLOSED
        elif deal.position_id in open_positions:
            kind = EventKind.POSITION_REDUCED
        else:
            kind = EventKind.POSITION_CLOSED
        events.append(
            BrokerEvent(
                kind=kind,
                account_id=account_id,
                position_id=deal.position_id,
                client_id=deal.client_id or (owners or {}).get(deal.position_id, ""),
                symbol=deal.symbol,
                price=deal.price,
                volume=deal.volume,
                time=deal.time,
                reason=deal.reason,
                order_id=deal.order_id,
            )
        )
    return events
