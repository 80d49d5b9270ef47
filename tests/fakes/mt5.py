"""The server behind the fake MetaAPI SDK: paper accounts, answered in MetaAPI's shapes.

Payloads (built in payloads.py) are what metaapi-cloud-sdk 29.1.1 hands its caller. Refusals are
the SDK's own TradeException with MT5 return codes. Faults (errors, answers after the server
acted, requests that never return) are scripted per SDK method.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from metaapi_cloud_sdk.clients.error_handler import NotFoundException, ValidationException
from metaapi_cloud_sdk.clients.metaapi.trade_exception import TradeException

from fakes import payloads
from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.errors import BrokerRejected, UnknownSymbol
from signal_copier.core.market import Position
from signal_copier.core.model import OrderRequest, OrderType, Side
from signal_copier.core.reasons import Reason

# How an MT5 server reports what the paper broker refuses (ticket not found depends on the kind).
RETCODES = {
    Reason.INVALID_STOPS: (10016, "TRADE_RETCODE_INVALID_STOPS"),
    Reason.INVALID_VOLUME: (10014, "TRADE_RETCODE_INVALID_VOLUME"),
    Reason.INVALID_PRICE: (10015, "TRADE_RETCODE_INVALID_PRICE"),
    Reason.NO_MONEY: (10019, "TRADE_RETCODE_NO_MONEY"),
    Reason.MARKET_CLOSED: (10018, "TRADE_RETCODE_MARKET_CLOSED"),
    Reason.TRADE_DISABLED: (10017, "TRADE_RETCODE_TRADE_DISABLED"),
}
NOT_FOUND = {
    "position": (4753, "ERR_TRADE_POSITION_NOT_FOUND"),
    "order": (4754, "ERR_TRADE_ORDER_NOT_FOUND"),
}
DONE = {"numericCode": 10009, "stringCode": "TRADE_RETCODE_DONE", "message": "Request completed"}
DONE_PARTIAL = {
    "numericCode": 10010,
    "stringCode": "TRADE_RETCODE_DONE_PARTIAL",
    "message": "Only part of the request was completed",
}
PLACED = {"numericCode": 10008, "stringCode": "TRADE_RETCODE_PLACED", "message": "Order placed"}
NO_CHANGES = {
    "numericCode": 10025,
    "stringCode": "TRADE_RETCODE_NO_CHANGES",
    "message": "No changes",
}
OPENING = {
    "ORDER_TYPE_BUY": (Side.BUY, OrderType.MARKET),
    "ORDER_TYPE_SELL": (Side.SELL, OrderType.MARKET),
}
OPENING.update({name: key for key, name in payloads.PENDING.items()})
NUMBERS = ("volume", "openPrice", "stopLoss", "takeProfit")


@dataclass
class Fault:
    method: str
    error: BaseException | None  # None: never answer
    after: bool  # act first, then fail (the outcome is unknown to the caller)
    times: int


@dataclass
class Mt5Server:
    """Paper accounts behind MetaAPI: scripted faults, a log of every request, revoked tokens."""

    paper: PaperBroker
    calls: list[str] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    states: dict[str, str] = field(default_factory=dict)
    margin_mode: str = "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING"
    trades: list[dict[str, Any]] = field(default_factory=list)  # every trade request, as sent
    synchronizing: bool = False  # history answers say they may be incomplete
    partial_fill: Decimal | None = None  # market orders fill only this much (DONE_PARTIAL)
    # Each request takes this long, like a round trip to MetaAPI (0: answered at once).
    delay: float = 0.0
    in_flight: list[str] = field(default_factory=list)  # requests sent and not yet answered
    together: list[tuple[str, ...]] = field(default_factory=list)  # in flight as each was sent
    sent_at: list[float] = field(default_factory=list)  # time.perf_counter() as each was sent

    def fail(
        self, method: str, error: BaseException, *, after: bool = False, times: int = 1
    ) -> None:
        """Make the next `times` calls of an SDK method raise `error` (after acting, if told)."""
        self.faults.append(Fault(method, error, after, times))

    def hang(self, method: str, *, times: int = 1) -> None:
        """Make the next calls of an SDK method never answer (only a timeout ends them)."""
        self.faults.append(Fault(method, None, False, times))

    def count(self, method: str) -> int:
        """Return how many requests of one SDK method were made."""
        return self.calls.count(method)

    async def request(self, method: str, act: Callable[[], Awaitable[Any]]) -> Any:
        """Answer one request (after `delay`): log it, apply a scripted fault, or run it."""
        self.calls.append(method)
        self.sent_at.append(time.perf_counter())
        self.in_flight.append(method)
        self.together.append(tuple(self.in_flight))
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
            return await self._answer(method, act)
        finally:
            self.in_flight.remove(method)

    async def _answer(self, method: str, act: Callable[[], Awaitable[Any]]) -> Any:
        fault = next((f for f in self.faults if f.method == method), None)
        if fault is None:
            return await act()
        fault.times -= 1
        if fault.times == 0:
            self.faults.remove(fault)
        if fault.error is None:
            await asyncio.Event().wait()
        if fault.after:
            await act()
        raise fault.error

    def account(self, account_id: str) -> PaperAccount:
        """Return a paper account (404 as MetaAPI's REST API answers it)."""
        try:
            return self.paper.account(account_id)
        except BrokerRejected:
            raise NotFoundException(f"Trading account with id {account_id} not found") from None

    def state(self, account_id: str) -> str:
        """Return the account's MetaAPI state."""
        self.account(account_id)
        return self.states.get(account_id, "DEPLOYED")

    def held(self, account: PaperAccount, position_id: object) -> Position:
        """Return one open position (404 if there is none)."""
        try:
            return account.ledger.position(str(position_id))
        except BrokerRejected:
            raise NotFoundException(f"Position {position_id} not found") from None

    # reads ---------------------------------------------------------------------------------

    def deals(
        self, account: PaperAccount, start: datetime, end: datetime, offset: int, limit: int
    ) -> dict[str, Any]:
        """Return MetatraderDeals in [start, end), one page; the opening balance deal first."""
        start_of_history = self.paper.now.replace(year=2000)
        items = [payloads.balance_deal(account, start_of_history)]
        items += [payloads.deal(d) for d in account.ledger.deals]
        chosen = [d for d in items if start <= d["time"] < end]
        return {"deals": chosen[offset : offset + limit], "synchronizing": self.synchronizing}

    def position_deals(self, account: PaperAccount, position_id: object) -> dict[str, Any]:
        """Return MetatraderDeals of one position (none for an unknown id, as MetaAPI answers)."""
        items = [payloads.deal(d) for d in account.ledger.deals if d.position_id == position_id]
        return {"deals": items, "synchronizing": self.synchronizing}

    # trades --------------------------------------------------------------------------------

    async def trade(self, account: PaperAccount, request: dict[str, Any]) -> dict[str, Any]:
        """Execute a MetatraderTrade on the paper account; refusals as TradeException."""
        self.trades.append(dict(request))
        for name in NUMBERS:
            value = request.get(name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int | float)
            ):
                raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
        if len(request.get("clientId", "")) + len(request.get("comment", "")) > 26:
            raise ValidationException("Validation failed", [{"parameter": "clientId"}])
        try:
            return await self._execute(account, request)
        except UnknownSymbol as e:
            raise TradeException(str(e), 10013, "TRADE_RETCODE_INVALID") from e
        except BrokerRejected as e:
            if e.reason is Reason.NOT_FOUND:
                kind = "order" if request["actionType"].startswith("ORDER_") else "position"
                code, name = NOT_FOUND[kind]
            else:
                code, name = RETCODES.get(e.reason, (10006, "TRADE_RETCODE_REJECT"))
            raise TradeException(str(e), code, name) from e

    async def _execute(self, account: PaperAccount, request: dict[str, Any]) -> dict[str, Any]:
        action = request["actionType"]
        if action in OPENING:
            return await self._open(account, request, *OPENING[action])
        if action == "POSITION_MODIFY":
            held = account.ledger.position(request["positionId"])
            sl, tp = _levels(request, held.sl, held.tp)
            if (sl, tp) == (held.sl, held.tp):
                return dict(NO_CHANGES)
            await account.modify_position(held.id, sl=sl, tp=tp)
            return {**DONE, "positionId": held.id}
        if action in ("POSITION_CLOSE_ID", "POSITION_PARTIAL"):
            volume = request.get("volume")
            volume = None if volume is None else Decimal(str(volume))
            tag = str(request.get("clientId", ""))
            await account.close_position(request["positionId"], volume, client_id=tag)
            return {**DONE, "positionId": request["positionId"]}
        order = account.ledger.order(request["orderId"])
        if action == "ORDER_MODIFY":
            sl, tp = _levels(request, order.sl, order.tp)
            price = Decimal(str(request["openPrice"]))
            await account.modify_order(order.id, price=price, sl=sl, tp=tp)
        else:
            await account.cancel_order(order.id)
        return {**DONE, "orderId": order.id}

    async def _open(
        self, account: PaperAccount, request: dict[str, Any], side: Side, order_type: OrderType
    ) -> dict[str, Any]:
        price = request.get("openPrice")
        sl, tp = request.get("stopLoss"), request.get("takeProfit")
        volume = Decimal(str(request["volume"]))
        partial = order_type is OrderType.MARKET and self.partial_fill is not None
        fill = await account.place(
            OrderRequest(
                client_id=request.get("clientId", ""),
                symbol=request["symbol"],
                side=side,
                order_type=order_type,
                volume=self.partial_fill if partial and self.partial_fill else volume,
                price=None if price is None else Decimal(str(price)),
                sl=None if not sl else Decimal(str(sl)),
                tp=None if not tp else Decimal(str(tp)),
            )
        )
        if fill.pending:
            return {**PLACED, "orderId": fill.order_id}
        done = DONE_PARTIAL if partial else DONE
        return {**done, "orderId": fill.order_id, "positionId": fill.position_id}


def _levels(
    request: dict[str, Any], sl: Decimal | None, tp: Decimal | None
) -> tuple[Decimal | None, Decimal | None]:
    # A level left out of a modify request stays as it is; 0 removes it (MT5).
    def level(name: str, current: Decimal | None) -> Decimal | None:
        if name not in request:
            return current
        return None if request[name] == 0 else Decimal(str(request[name]))

    return level("stopLoss", sl), level("takeProfit", tp)
