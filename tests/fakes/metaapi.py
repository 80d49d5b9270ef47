"""A fake metaapi-cloud-sdk 29.1.1 at the SDK boundary, over the paper broker (fakes/mt5.py).

FakeMetaApi, FakeMetatraderAccountApi, FakeMetatraderAccount and FakeRpcConnection stand for
MetaApi, MetatraderAccountApi, MetatraderAccount and RpcMetaApiConnectionInstance: every public
method has the SDK's signature and is a coroutine function exactly where the SDK's is (checked by
tests/unit/broker/test_metaapi_contract.py). Like the SDK, RPC methods are plain functions that
raise at call time on a connection that is not open, MetaApi needs a running event loop, SL/TP
that are not numbers fail at once, and errors are the SDK's own classes.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any

from metaapi_cloud_sdk.clients.error_handler import UnauthorizedException

from fakes import payloads
from fakes.mt5 import Mt5Server
from signal_copier.broker.paper import PaperAccount


class FakeSdk:
    """The SDK factory for MetaApiBroker(sdk=...): every MetaApi it made, and their server."""

    def __init__(self, server: Mt5Server) -> None:
        self.server = server
        self.apis: list[FakeMetaApi] = []

    def __call__(self, token: str, opts: dict[str, Any]) -> FakeMetaApi:
        api = FakeMetaApi(token, opts)
        api._server = self.server
        self.apis.append(api)
        return api

    @property
    def connections(self) -> list[FakeRpcConnection]:
        """Return every RPC connection instance made."""
        return [c for api in self.apis for c in api._connections]


class FakeMetaApi:
    """metaapi_cloud_sdk.MetaApi."""

    def __init__(self, token: str, opts: dict[str, Any] | None = None):
        asyncio.get_running_loop()  # the SDK starts tasks here: RuntimeError outside a loop
        self._token, self.opts = token, dict(opts or {})
        self._server: Mt5Server
        self._connections: list[FakeRpcConnection] = []
        self.closed = False

    @property
    def metatrader_account_api(self) -> FakeMetatraderAccountApi:
        """Return the account API."""
        return FakeMetatraderAccountApi(self)

    def close(self):
        """Close every socket (the SDK schedules this in a task and returns at once)."""
        self.closed = True

    def _check_token(self) -> None:
        if self._token in self._server.revoked or self.closed:
            raise UnauthorizedException("Authorization token invalid")


class FakeMetatraderAccountApi:
    """metaapi_cloud_sdk.metaapi.metatrader_account_api.MetatraderAccountApi."""

    def __init__(self, api: FakeMetaApi) -> None:
        self._api = api

    async def get_account(self, account_id):
        """Return the account (REST: 401 for a refused token, 404 for an unknown account)."""

        async def act() -> FakeMetatraderAccount:
            self._api._check_token()
            return FakeMetatraderAccount(self._api, account_id, self._api._server.state(account_id))

        return await self._api._server.request("get_account", act)


class FakeMetatraderAccount:
    """metaapi_cloud_sdk.metaapi.metatrader_account.MetatraderAccount."""

    def __init__(self, api: FakeMetaApi, account_id: str, state: str) -> None:
        self._api, self._id, self._state = api, account_id, state

    @property
    def id(self) -> str:
        """Return the account id."""
        return self._id

    @property
    def state(self) -> str:
        """Return the deployment state."""
        return self._state

    def get_rpc_connection(self):
        """Return a new RPC connection instance (not yet connected)."""
        connection = FakeRpcConnection(self._api, self._id)
        self._api._connections.append(connection)
        return connection


class FakeRpcConnection:
    """metaapi_cloud_sdk.metaapi.rpc_metaapi_connection_instance.RpcMetaApiConnectionInstance."""

    def __init__(self, api: FakeMetaApi, account_id: str) -> None:
        self._api, self._account_id = api, account_id
        self._server = api._server
        self.opened = self.closed = False

    async def connect(self):
        """Open the connection (once)."""
        if self.closed:
            raise Exception("This connection has been closed, please create a new connection")
        self.opened = True
        await self._server.request("connect", _nothing)

    async def close(self):
        """Close the connection; it cannot be reopened."""
        self.closed = True

    async def wait_synchronized(self, timeout_in_seconds: float = 300):
        """Wait until the RPC application is synchronized."""
        self._check_is_connection_active()
        await self._server.request("wait_synchronized", _nothing)

    def get_account_information(self, options=None):
        """Return account information."""
        return self._call(
            "get_account_information",
            lambda a: payloads.account_information(a, self._server.margin_mode),
        )

    def get_positions(self, options=None):
        """Return open positions."""
        return self._call(
            "get_positions",
            lambda a: [payloads.position(p) for p in a.ledger.positions.values()],
        )

    def get_position(self, position_id: str, options=None):
        """Return one position."""
        return self._call(
            "get_position", lambda a: payloads.position(self._server.held(a, position_id))
        )

    def get_orders(self, options=None):
        """Return pending orders."""
        now = self._server.paper.now
        return self._call(
            "get_orders", lambda a: [payloads.order(o, now) for o in a.ledger.orders.values()]
        )

    def get_deals_by_time_range(
        self, start_time: datetime, end_time: datetime, offset: int = 0, limit: int = 1000
    ):
        """Return one page of deals in [start_time, end_time)."""
        return self._call(
            "get_deals_by_time_range",
            lambda a: self._server.deals(a, start_time, end_time, offset, limit),
        )

    def get_deals_by_position(self, position_id):
        """Return the deals of one position."""
        return self._call(
            "get_deals_by_position", lambda a: self._server.position_deals(a, position_id)
        )

    def get_symbols(self):
        """Return symbol names."""
        return self._call("get_symbols", lambda a: a.ledger.names.all())

    def get_symbol_specification(self, symbol: str):
        """Return a symbol's specification."""
        return self._call("get_symbol_specification", lambda a: payloads.specification(a, symbol))

    def get_symbol_price(self, symbol: str, keep_subscription: bool = False):
        """Return a symbol's price with tick values."""
        return self._call("get_symbol_price", lambda a: payloads.price(a, symbol))

    def create_market_buy_order(
        self, symbol: str, volume: float, stop_loss=None, take_profit=None, options=None
    ):
        """Open a buy at the market."""
        return self._trade("ORDER_TYPE_BUY", symbol, volume, None, stop_loss, take_profit, options)

    def create_market_sell_order(
        self, symbol: str, volume: float, stop_loss=None, take_profit=None, options=None
    ):
        """Open a sell at the market."""
        return self._trade("ORDER_TYPE_SELL", symbol, volume, None, stop_loss, take_profit, options)

    def create_limit_buy_order(
        self, symbol: str, volume: float, open_price: float, stop_loss=None, take_profit=None,
        options=None,
    ):  # fmt: skip
        """Place a buy limit."""
        return self._trade(
            "ORDER_TYPE_BUY_LIMIT", symbol, volume, open_price, stop_loss, take_profit, options
        )

    def create_limit_sell_order(
        self, symbol: str, volume: float, open_price: float, stop_loss=None, take_profit=None,
        options=None,
    ):  # fmt: skip
        """Place a sell limit."""
        return self._trade(
            "ORDER_TYPE_SELL_LIMIT", symbol, volume, open_price, stop_loss, take_profit, options
        )

    def create_stop_buy_order(
        self, symbol: str, volume: float, open_price: float, stop_loss=None, take_profit=None,
        options=None,
    ):  # fmt: skip
        """Place a buy stop."""
        return self._trade(
            "ORDER_TYPE_BUY_STOP", symbol, volume, open_price, stop_loss, take_profit, options
        )

    def create_stop_sell_order(
        self, symbol: str, volume: float, open_price: float, stop_loss=None, take_profit=None,
        options=None,
    ):  # fmt: skip
        """Place a sell stop."""
        return self._trade(
            "ORDER_TYPE_SELL_STOP", symbol, volume, open_price, stop_loss, take_profit, options
        )

    def modify_position(
        self, position_id: str, stop_loss=None, take_profit=None, trailing_stop_loss=None,
        stop_price_base=None,
    ):  # fmt: skip
        """Change a position's SL/TP (a level passed as None is left out of the request)."""
        request = {"actionType": "POSITION_MODIFY", "positionId": position_id}
        return self._send(request, stop_loss, take_profit, None)

    def close_position_partially(self, position_id: str, volume: float, options=None):
        """Close part of a position."""
        request = {"actionType": "POSITION_PARTIAL", "positionId": position_id, "volume": volume}
        return self._send(request, None, None, options)

    def close_position(self, position_id: str, options=None):
        """Close a position."""
        request = {"actionType": "POSITION_CLOSE_ID", "positionId": position_id}
        return self._send(request, None, None, options)

    def modify_order(
        self, order_id: str, open_price: float, stop_loss=None, take_profit=None, options=None
    ):
        """Change a pending order."""
        request = {"actionType": "ORDER_MODIFY", "orderId": order_id, "openPrice": open_price}
        return self._send(request, stop_loss, take_profit, options)

    def cancel_order(self, order_id: str):
        """Cancel a pending order."""
        return self._send({"actionType": "ORDER_CANCEL", "orderId": order_id}, None, None, None)

    def _check_is_connection_active(self) -> None:
        if not self.opened:
            raise Exception(
                "This connection has not been initialized yet, please invoke await "
                "connection.connect()"
            )
        if self.closed:
            raise Exception("This connection has been closed, please create a new connection")

    def _trade(
        self, action: str, symbol: str, volume: Any, price: Any, sl: Any, tp: Any, options: Any
    ) -> Coroutine[Any, Any, Any]:
        request: dict[str, Any] = {"actionType": action, "symbol": symbol, "volume": volume}
        if price is not None:
            request["openPrice"] = price
        return self._send(request, sl, tp, options)

    def _send(
        self, request: dict[str, Any], sl: Any, tp: Any, options: Any
    ) -> Coroutine[Any, Any, Any]:
        self._check_is_connection_active()
        for name, value in (("stopLoss", sl), ("takeProfit", tp)):
            if isinstance(value, int | float):
                request[name] = value
            elif value:  # the SDK reads any other truthy value as {'value', 'units'}
                request[name] = value["value"]
        request.update(options or {})
        return self._call("trade", lambda a: self._server.trade(a, request))

    def _call(self, method: str, read: Callable[[PaperAccount], Any]) -> Any:
        self._check_is_connection_active()

        async def act() -> Any:
            self._api._check_token()
            answer = read(self._server.account(self._account_id))
            return await answer if inspect.isawaitable(answer) else answer

        return self._server.request(method, act)


async def _nothing() -> None:
    return None
