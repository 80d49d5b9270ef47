"""One MT5 account behind a MetaAPI RPC connection, as the copier sees it (BrokerAccount).

Every SDK call, including making its coroutine (the SDK raises there on a closed connection),
runs inside `asyncio.wait_for`, and every error goes through the one table in errors.py. The
adapter never resends: an unknown outcome is raised as BrokerUnavailable for services to
reconcile by clientId.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from signal_copier.broker.metaapi import history, payloads
from signal_copier.broker.metaapi.calls import Limits, both, guarded
from signal_copier.broker.metaapi.errors import Drop, Subject
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.followups import of_trades
from signal_copier.core.market import AccountInfo, Deal, PendingOrder, Position, Quote, SymbolSpec
from signal_copier.core.model import Fill, OrderRequest, OrderType, Side
from signal_copier.core.reasons import Reason

MAX_CLIENT_ID = 26  # MetaAPI: comment + clientId ≤ 26 characters; we send no comment
HISTORY_SLACK = timedelta(days=1)  # the end of a deal query, past our clock (broker clock skew)
TRADE_METHODS = {
    (OrderType.MARKET, Side.BUY): "create_market_buy_order",
    (OrderType.MARKET, Side.SELL): "create_market_sell_order",
    (OrderType.LIMIT, Side.BUY): "create_limit_buy_order",
    (OrderType.LIMIT, Side.SELL): "create_limit_sell_order",
    (OrderType.STOP, Side.BUY): "create_stop_buy_order",
    (OrderType.STOP, Side.SELL): "create_stop_sell_order",
}


class MetaApiAccount:
    """BrokerAccount on one connected RPC connection (shared by every intent of the account)."""

    def __init__(
        self,
        account_id: str,
        connection: Any,
        *,
        limits: Limits,
        now: Callable[[], datetime],
        on_drop: Callable[[Drop], Awaitable[None]],
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.account_id = account_id
        self._connection = connection
        self._limits, self._now, self._on_drop, self._clock = limits, now, on_drop, monotonic
        self._symbols: tuple[float, list[str]] | None = None
        self._specs: dict[str, tuple[float, payloads.Payload]] = {}
        self._prices: dict[str, tuple[float, payloads.Payload]] = {}
        # The symbols of the latest positions and orders seen: to round their new levels.
        self._position_symbols: dict[str, str] = {}
        self._order_symbols: dict[str, str] = {}

    async def account_info(self) -> AccountInfo:
        """Return balance, equity, currency and margin mode."""
        data = await self._read(lambda: self._connection.get_account_information())
        return payloads.account_info(self.account_id, data)

    async def symbols(self) -> list[str]:
        """Return the broker's symbol names (re-read after `Limits.catalog`)."""
        if self._symbols is None or self._clock() - self._symbols[0] > self._limits.catalog:
            names = await self._read(lambda: self._connection.get_symbols())
            self._symbols = (self._clock(), [str(name) for name in names])
        return list(self._symbols[1])

    async def symbol_spec(self, symbol: str) -> SymbolSpec:
        """Return a symbol's specification; its tick value comes with the current price.

        The two are read at once (one round trip); the specification's error, if any, wins.
        """
        spec, price = await both(self._static_spec(symbol), self._price(symbol))
        return payloads.symbol_spec(spec, price)

    async def quote(self, symbol: str) -> Quote:
        """Return the current bid and ask, read fresh (guards judge levels against it)."""
        price = await self._price(symbol, fresh=True)
        return payloads.quote(symbol, price, self._digits(symbol))

    async def place(self, order: OrderRequest) -> Fill:
        """Send one order with its clientId; never resent here, whatever happens."""
        if not order.client_id.isascii() or not 0 < len(order.client_id) <= MAX_CLIENT_ID:
            raise BrokerRejected(f"clientId {order.client_id!r} does not fit MetaAPI's 26 chars")
        digits = self._digits(order.symbol)
        if digits is None:  # services read the spec before placing; this is the fallback
            digits = payloads.digits_of(await self._static_spec(order.symbol))
        stops = [None if p is None else payloads.to_float(p, digits) for p in (order.sl, order.tp)]
        head: list[Any] = [order.symbol, payloads.to_float(order.volume)]
        if order.order_type is not OrderType.MARKET:
            if order.price is None:
                raise BrokerRejected("a pending order needs a price", reason=Reason.INVALID_PRICE)
            head.append(payloads.to_float(order.price, digits))
        method = getattr(self._connection, TRADE_METHODS[(order.order_type, order.side)])
        options = {"clientId": order.client_id}
        result = await self._trade(lambda: method(*head, *stops, options))
        if order.order_type is not OrderType.MARKET:
            return Fill(
                client_id=order.client_id,
                order_id=str(result.get("orderId") or ""),
                position_id=None,
                volume=order.volume,
                price=payloads.round_to(order.price or Decimal(0), digits),
                leg=order.leg,
                pending=True,
            )
        return await self._market_fill(order, result)

    async def positions(self) -> list[Position]:
        """Return the open positions."""
        items = await self._read(lambda: self._connection.get_positions())
        found = [payloads.position(p, self._digits(str(p.get("symbol")))) for p in items]
        self._position_symbols = {p.id: p.symbol for p in found}
        return found

    async def orders(self) -> list[PendingOrder]:
        """Return the pending orders (close-by orders left out)."""
        items = await self._read(lambda: self._connection.get_orders())
        found = [
            o
            for item in items
            if (o := payloads.pending_order(item, self._digits(str(item.get("symbol")))))
        ]
        self._order_symbols = {o.id: o.symbol for o in found}
        return found

    async def legs_of(
        self, client_ids: Collection[str]
    ) -> tuple[list[Position], list[PendingOrder]]:
        """Return the open positions and pending orders of these trades (both read at once)."""
        positions, orders = await both(self.positions(), self.orders())
        return of_trades(positions, client_ids), of_trades(orders, client_ids)

    async def history(self, since: datetime) -> list[Deal]:
        """Return the trade deals since `since` (every page; each with its trade's clientId)."""
        end = max(self._now(), since) + HISTORY_SLACK
        return await history.deals_between(
            self._connection, self._read, since, end, self._limits.history_page
        )

    async def modify_position(
        self, position_id: str, *, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Set both levels; None removes one (sent as 0, MT5's "no level": the SDK drops None)."""
        stop_loss, take_profit = self._levels(position_id, sl, tp)
        await self._trade(
            lambda: self._connection.modify_position(
                position_id, stop_loss=stop_loss, take_profit=take_profit
            ),
            Subject.TICKET,
        )

    async def close_position(
        self, position_id: str, volume: Decimal | None = None, *, client_id: str = ""
    ) -> None:
        """Close a position in full, or `volume` lots of it; `client_id` tags the closing deal."""
        options = {"clientId": client_id} if client_id else None
        if volume is None:
            await self._trade(
                lambda: self._connection.close_position(position_id, options), Subject.TICKET
            )
            return
        lots = payloads.to_float(volume)
        await self._trade(
            lambda: self._connection.close_position_partially(position_id, lots, options),
            Subject.TICKET,
        )

    async def modify_order(
        self, order_id: str, *, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP (None removes a level, as for positions)."""
        digits = self._ticket_digits(order_id)
        stop_loss, take_profit = self._levels(order_id, sl, tp)
        open_price = payloads.to_float(price, digits)
        await self._trade(
            lambda: self._connection.modify_order(order_id, open_price, stop_loss, take_profit),
            Subject.TICKET,
        )

    async def cancel_order(self, order_id: str) -> None:
        """Cancel a pending order."""
        await self._trade(lambda: self._connection.cancel_order(order_id), Subject.TICKET)

    async def _market_fill(self, order: OrderRequest, result: payloads.Payload) -> Fill:
        order_id = str(result.get("orderId") or "")
        # On MT5 hedging a position's ticket is the ticket of the order that opened it.
        position_id = str(result.get("positionId") or order_id)
        volume = order.volume
        if result.get("stringCode") == "TRADE_RETCODE_DONE_PARTIAL":  # only part was filled
            held = await self._read(
                lambda: self._connection.get_position(position_id), Subject.TICKET
            )
            volume = payloads.decimal(held.get("volume"), "volume")
        return Fill(
            client_id=order.client_id,
            order_id=order_id,
            position_id=position_id,
            volume=volume,
            price=None,  # the trade response carries no fill price; positions() has it
            leg=order.leg,
        )

    async def _static_spec(self, symbol: str) -> payloads.Payload:
        cached = self._specs.get(symbol)
        if cached is None or self._clock() - cached[0] > self._limits.catalog:
            spec = await self._read(
                lambda: self._connection.get_symbol_specification(symbol), Subject.SYMBOL
            )
            cached = self._specs[symbol] = (self._clock(), spec)
        return cached[1]

    async def _price(self, symbol: str, *, fresh: bool = False) -> payloads.Payload:
        # A spec's tick value may come from a price a moment old; a quote never does.
        cached = self._prices.get(symbol)
        if fresh or cached is None or self._clock() - cached[0] > self._limits.price_reuse:
            price = await self._read(
                lambda: self._connection.get_symbol_price(symbol), Subject.SYMBOL
            )
            cached = self._prices[symbol] = (self._clock(), price)
        return cached[1]

    def _digits(self, symbol: str) -> int | None:
        cached = self._specs.get(symbol)  # digits never change: a stale spec still knows them
        return None if cached is None else payloads.digits_of(cached[1])

    def _ticket_digits(self, ticket: str) -> int | None:
        symbol = self._position_symbols.get(ticket) or self._order_symbols.get(ticket)
        return None if symbol is None else self._digits(symbol)

    def _levels(self, ticket: str, sl: Decimal | None, tp: Decimal | None) -> tuple[float, float]:
        digits = self._ticket_digits(ticket)
        return (
            0.0 if sl is None else payloads.to_float(sl, digits),
            0.0 if tp is None else payloads.to_float(tp, digits),
        )

    async def _read(
        self, make: Callable[[], Awaitable[Any]], subject: Subject = Subject.OTHER
    ) -> Any:
        return await guarded(make, self._limits.read, subject, self._on_drop)

    async def _trade(
        self, make: Callable[[], Awaitable[Any]], subject: Subject = Subject.OTHER
    ) -> Any:
        return await guarded(make, self._limits.trade, subject, self._on_drop)
