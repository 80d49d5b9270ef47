"""One paper account's book: balance, positions, pending orders and deals, changed as MT5 would."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from signal_copier.broker.paper import rules
from signal_copier.broker.paper.book import Deals, Exposure, Orders, Positions
from signal_copier.broker.paper.netting import net
from signal_copier.broker.paper.specs import Instrument, SymbolNames
from signal_copier.broker.paper.tickets import event_for, new_deal, new_position
from signal_copier.broker.paper.venue import Venue
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.market import (
    BrokerEvent,
    Deal,
    DealReason,
    EventKind,
    MarginMode,
    PendingOrder,
    Position,
)
from signal_copier.core.model import OrderRequest, OrderType, Side
from signal_copier.core.reasons import Reason

CENT = Decimal("0.01")


class Ledger:
    """Keep one account's trading state; every change is validated first, then applied."""

    def __init__(
        self,
        venue: Venue,
        account_id: str,
        *,
        balance: Decimal,
        currency: str,
        names: SymbolNames,
        leverage: int,
        margin_mode: MarginMode = MarginMode.HEDGING,
    ) -> None:
        self.venue = venue
        self.account_id = account_id
        self.balance = balance.quantize(CENT)
        self.currency = currency
        self.names = names
        self.leverage = leverage
        self.margin_mode = margin_mode
        self.positions = Positions()
        self.orders = Orders()
        self.deals = Deals()

    def instrument(self, name: str) -> Instrument:
        """Return the instrument behind a broker symbol name (UnknownSymbol if none)."""
        return self.venue.instrument(self.names.canonical(name))

    def prices(self, name: str) -> tuple[Decimal, Decimal]:
        """Return a broker symbol's (bid, ask)."""
        return self.venue.prices(self.names.canonical(name))

    def to_account(self, amount: Decimal, inst: Instrument) -> Decimal:
        """Convert an amount in the symbol's profit currency into the account currency."""
        return self.venue.convert(amount, inst.profit_currency, self.currency)

    def equity(self) -> Decimal:
        """Return the balance plus the floating profit (to the cent per symbol and side)."""
        return self.balance + sum(
            (self._valued(sums)[0] for sums in self.positions.exposure()), Decimal(0)
        )

    def open_market(self, order: OrderRequest) -> Position:
        """Open a position at the market (buy at ask, sell at bid)."""
        inst = self.instrument(order.symbol)
        rules.check_volume(inst, order.volume)
        bid, ask = self.venue.prices(inst.symbol)
        sl, tp = _round(inst, order.sl), _round(inst, order.tp)
        closing = rules.closing_price(order.side, bid, ask)
        rules.check_stops(order.side, closing, sl, tp, inst.stops_distance)
        price = rules.opening_price(order.side, bid, ask)
        self._check_margin(inst, order.volume, price)
        order_id = self.venue.next_id()  # MT5: a position's id is its opening order's ticket
        position = new_position(
            replace(order, sl=sl, tp=tp), order_id, price, self.venue.server_time
        )
        deal = self._open(position, order_id)
        return replace(position, id=deal.position_id)  # on a netting account: the symbol's

    def add_pending(self, order: OrderRequest) -> PendingOrder:
        """Add a limit or stop order that waits for its price."""
        inst = self.instrument(order.symbol)
        rules.check_volume(inst, order.volume)
        if order.price is None:
            raise BrokerRejected("a pending order needs a price", reason=Reason.INVALID_PRICE)
        price, sl, tp = (
            inst.round_price(order.price),
            _round(inst, order.sl),
            _round(inst, order.tp),
        )
        self._check_pending(inst, order.side, order.order_type, price, sl, tp)
        self.to_account(Decimal(1), inst)  # the position it opens must be valued in our currency
        pending = PendingOrder(
            id=self.venue.next_id(),
            symbol=order.symbol,
            side=order.side,
            order_type=order.order_type,
            volume=order.volume,
            price=price,
            sl=sl,
            tp=tp,
            client_id=order.client_id,
        )
        self.orders[pending.id] = pending
        return pending

    def modify_position(self, position_id: str, sl: Decimal | None, tp: Decimal | None) -> None:
        """Set SL and TP; levels that change must be on the right side and clear the stops level."""
        position = self.position(position_id)
        inst = self.instrument(position.symbol)
        sl, tp = _round(inst, sl), _round(inst, tp)
        closing = rules.closing_price(position.side, *self.venue.prices(inst.symbol))
        changed_sl = None if sl == position.sl else sl
        changed_tp = None if tp == position.tp else tp
        rules.check_stops(position.side, closing, changed_sl, changed_tp, inst.stops_distance)
        self.positions[position_id] = replace(position, sl=sl, tp=tp)

    def close(
        self, position_id: str, volume: Decimal | None, reason: DealReason, *, client_id: str = ""
    ) -> Deal:
        """Close all of a position, or `volume` lots of it, at the market; credit the profit.

        The closing deal carries `client_id` when one is given (MT5 stamps the closing order's
        comment/clientId on its deal), else the position's.
        """
        position = self.position(position_id)
        inst = self.instrument(position.symbol)
        volume = position.volume if volume is None else volume
        rules.check_close_volume(inst, volume, position.volume)
        price = rules.closing_price(position.side, *self.venue.prices(inst.symbol))
        profit = self._profit(position, volume, price)
        self.balance += profit
        if volume == position.volume:
            del self.positions[position_id]
        else:
            self.positions[position_id] = replace(position, volume=position.volume - volume)
        # MT5 closes with a new order on the opposite side (an OUT deal).
        deal = self._record(position, self.venue.next_id(), volume, price, reason, profit)
        if client_id:
            deal = self.deals[-1] = replace(deal, client_id=client_id)
        return deal

    def modify_order(
        self, order_id: str, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP, validated as at placement."""
        order = self.order(order_id)
        inst = self.instrument(order.symbol)
        price, sl, tp = inst.round_price(price), _round(inst, sl), _round(inst, tp)
        self._check_pending(inst, order.side, order.order_type, price, sl, tp)
        self.orders[order_id] = replace(order, price=price, sl=sl, tp=tp)

    def position(self, position_id: str) -> Position:
        """Return an open position (not_found if none)."""
        if position_id not in self.positions:
            raise BrokerRejected(f"no open position {position_id!r}", reason=Reason.NOT_FOUND)
        return self.positions[position_id]

    def order(self, order_id: str) -> PendingOrder:
        """Return a pending order (not_found if none)."""
        if order_id not in self.orders:
            raise BrokerRejected(f"no pending order {order_id!r}", reason=Reason.NOT_FOUND)
        return self.orders[order_id]

    def settle(self) -> list[BrokerEvent]:
        """Fill pending orders the market crossed, then close positions whose SL or TP was hit."""
        events: list[BrokerEvent] = []
        for order in self.orders.crossed(self.prices):
            bid, ask = self.prices(order.symbol)
            if rules.crossed(order.side, order.order_type, order.price, bid, ask):
                deal = self._fill_pending(order, rules.opening_price(order.side, bid, ask))
                events.append(event_for(EventKind.ORDER_FILLED, self.account_id, deal))
        for position in self.positions.stops_reached(self.prices):
            hit = rules.stop_hit(
                position.side, position.sl, position.tp, *self.prices(position.symbol)
            )
            if hit is not None:
                deal = self.close(position.id, None, hit)
                events.append(event_for(EventKind.POSITION_CLOSED, self.account_id, deal))
        return events

    def _fill_pending(self, order: PendingOrder, price: Decimal) -> Deal:
        # A triggered pending order executes at the market price (a better price after a gap
        # for limits, slippage for stops); the position keeps the order's ticket as its id.
        del self.orders[order.id]
        return self._open(new_position(order, order.id, price, self.venue.server_time), order.id)

    def _open(self, position: Position, order_id: str) -> Deal:
        held = self._held(position.symbol)
        if held is not None:
            return self._net(held, position, order_id)
        self.positions[position.id] = position
        return self._record(
            position, order_id, position.volume, position.open_price, DealReason.OPEN, Decimal(0)
        )

    def _held(self, symbol: str) -> Position | None:
        if self.margin_mode is MarginMode.HEDGING:
            return None
        return next((p for p in self.positions.values() if p.symbol == symbol), None)

    def _net(self, held: Position, incoming: Position, order_id: str) -> Deal:
        # The deals carry the incoming order's clientId, as MT5 deals carry their order's.
        booked = net(held, incoming)
        price, deal = incoming.open_price, None
        if booked.closed:
            profit = self._profit(held, booked.closed, price)
            self.balance += profit
            closing = replace(held, client_id=incoming.client_id)
            deal = self._record(closing, order_id, booked.closed, price, DealReason.CLOSE, profit)
        if booked.position is None:
            del self.positions[held.id]
        else:
            self.positions[held.id] = booked.position
        if booked.opened:
            opening = replace(booked.position or held, client_id=incoming.client_id)
            deal = self._record(
                opening, order_id, booked.opened, price, DealReason.OPEN, Decimal(0)
            )
        assert deal is not None  # an order always closes or opens some volume
        return deal

    def _record(
        self,
        position: Position,
        order_id: str,
        volume: Decimal,
        price: Decimal,
        reason: DealReason,
        profit: Decimal,
    ) -> Deal:
        deal = new_deal(
            self.venue.next_id(),
            order_id,
            position,
            volume=volume,
            price=price,
            reason=reason,
            profit=profit,
            now=self.venue.server_time,
        )
        self.deals.append(deal)
        return deal

    def _check_pending(
        self,
        inst: Instrument,
        side: Side,
        order_type: OrderType,
        price: Decimal,
        sl: Decimal | None,
        tp: Decimal | None,
    ) -> None:
        bid, ask = self.venue.prices(inst.symbol)
        rules.check_pending_price(side, order_type, price, bid, ask, inst.stops_distance)
        rules.check_stops(side, price, sl, tp, inst.stops_distance)

    def _check_margin(self, inst: Instrument, volume: Decimal, price: Decimal) -> None:
        used = sum((self._valued(sums)[1] for sums in self.positions.exposure()), Decimal(0))
        needed = self._margin(inst, volume, price)
        free = self.equity() - used
        if needed > free:
            raise BrokerRejected(
                f"margin {needed:.2f} {self.currency} exceeds free margin {free:.2f}",
                reason=Reason.NO_MONEY,
            )

    def _valued(self, sums: Exposure) -> tuple[Decimal, Decimal]:
        # (floating profit, margin) of one symbol and side, valued once per price change:
        # profit and margin are linear in volume and in volume × open price.
        if sums.valued_at != self.venue.epoch:
            inst = self.instrument(sums.symbol)
            price = rules.closing_price(sums.side, *self.prices(sums.symbol))
            move = (price * sums.volume - sums.volume_price) * sums.side.sign
            sums.profit = self.to_account(move * inst.contract_size, inst).quantize(CENT)
            sums.margin = self._margin(inst, sums.volume_price, Decimal(1))
            sums.valued_at = self.venue.epoch
        return sums.profit, sums.margin

    def _margin(self, inst: Instrument, volume: Decimal, price: Decimal) -> Decimal:
        return self.to_account(volume * inst.contract_size * price / self.leverage, inst)

    def _profit(self, position: Position, volume: Decimal, price: Decimal) -> Decimal:
        inst = self.instrument(position.symbol)
        move = (price - position.open_price) * position.side.sign
        return self.to_account(move * volume * inst.contract_size, inst).quantize(CENT)


def _round(inst: Instrument, price: Decimal | None) -> Decimal | None:
    return None if price is None else inst.round_price(price)
