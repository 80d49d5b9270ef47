"""MetaAPI payloads as metaapi-cloud-sdk 29.1.1 hands them over, built from paper objects.

camelCase dicts, floats, aware datetimes for *time fields (brokerTime a string in the broker's
zone), int ids on positions and orders, str ids on deals; levels and clientIds left out when unset.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from metaapi_cloud_sdk.clients.error_handler import NotFoundException

from signal_copier.broker.paper import PaperAccount
from signal_copier.core import ids
from signal_copier.core.errors import UnknownSymbol
from signal_copier.core.market import Deal, DealReason, PendingOrder, Position
from signal_copier.core.model import OrderType, Side

PENDING = {
    (Side.BUY, OrderType.LIMIT): "ORDER_TYPE_BUY_LIMIT",
    (Side.SELL, OrderType.LIMIT): "ORDER_TYPE_SELL_LIMIT",
    (Side.BUY, OrderType.STOP): "ORDER_TYPE_BUY_STOP",
    (Side.SELL, OrderType.STOP): "ORDER_TYPE_SELL_STOP",
}
DEAL_REASONS = {
    DealReason.OPEN: "DEAL_REASON_EXPERT",
    DealReason.CLOSE: "DEAL_REASON_EXPERT",
    DealReason.SL: "DEAL_REASON_SL",
    DealReason.TP: "DEAL_REASON_TP",
}
BROKER_TZ = timedelta(hours=2)  # brokerTime strings are in the broker's zone


def instrument(account: PaperAccount, symbol: str) -> Any:
    """Return the paper instrument behind a symbol (404 as MetaAPI answers for an unknown one)."""
    try:
        return account.ledger.instrument(symbol)
    except UnknownSymbol:
        raise NotFoundException(f"Specification for {symbol} symbol not found") from None


def account_information(account: PaperAccount, margin_mode: str) -> dict[str, Any]:
    """Return MetatraderAccountInformation."""
    ledger = account.ledger
    equity = float(ledger.equity())
    return {
        "platform": "mt5",
        "broker": "Paper Ltd",
        "currency": ledger.currency,
        "server": "Paper-Demo",
        "balance": float(ledger.balance),
        "equity": equity,
        "margin": 0.0,
        "freeMargin": equity,
        "leverage": ledger.leverage,
        "marginLevel": None,
        "tradeAllowed": True,
        "investorMode": False,
        "marginMode": margin_mode,
        "name": account.account_id,
        "login": 1234567,
        "credit": 0.0,
        "type": "ACCOUNT_TRADE_MODE_DEMO",
    }


def specification(account: PaperAccount, symbol: str) -> dict[str, Any]:
    """Return MetatraderSymbolSpecification (404 for an unknown symbol)."""
    inst = instrument(account, symbol)
    spec = inst.spec(symbol, Decimal(1))
    data = {
        "symbol": symbol,
        "tickSize": float(spec.tick_size),
        "minVolume": float(spec.volume_min),
        "maxVolume": float(spec.volume_max),
        "volumeStep": float(spec.volume_step),
        "fillingModes": ["SYMBOL_FILLING_FOK", "SYMBOL_FILLING_IOC"],
        "executionMode": "SYMBOL_TRADE_EXECUTION_MARKET",
        "contractSize": float(spec.contract_size),
        "tradeMode": "SYMBOL_TRADE_MODE_FULL",
        "digits": spec.digits,
        "point": float(spec.point),
        "stopsLevel": spec.stops_level,
        "freezeLevel": 0,
        "description": symbol,
        "baseCurrency": inst.base,
        "profitCurrency": inst.profit_currency,
        "marginCurrency": inst.base,
        "swapMode": "SYMBOL_SWAP_MODE_POINTS",
        "allowedOrderTypes": ["SYMBOL_ORDER_MARKET", "SYMBOL_ORDER_LIMIT", "SYMBOL_ORDER_STOP"],
        "allowedExpirationModes": ["SYMBOL_EXPIRATION_GTC"],
        "initialMargin": 0.0,
        "maintenanceMargin": 0.0,
        "priceCalculationMode": "SYMBOL_CALC_MODE_CFD",
    }
    if spec.pip_size is not None:
        data["pipSize"] = float(spec.pip_size)
    return data


async def price(account: PaperAccount, symbol: str) -> dict[str, Any]:
    """Return MetatraderSymbolPrice (tick values in the account currency)."""
    instrument(account, symbol)
    quote, spec = await account.quote(symbol), await account.symbol_spec(symbol)
    return {
        "symbol": symbol,
        "bid": float(quote.bid),
        "ask": float(quote.ask),
        "profitTickValue": float(spec.tick_value),
        "lossTickValue": float(spec.tick_value),
        "accountCurrencyExchangeRate": 1.0,
        "time": quote.time,
        "brokerTime": broker_time(quote.time),
        "equity": float(account.ledger.equity()),
    }


def position(item: Position) -> dict[str, Any]:
    """Return MetatraderPosition."""
    data: dict[str, Any] = {
        "id": int(item.id),
        "platform": "mt5",
        "symbol": item.symbol,
        "magic": 0,
        "type": "POSITION_TYPE_BUY" if item.side is Side.BUY else "POSITION_TYPE_SELL",
        "time": item.opened,
        "brokerTime": broker_time(item.opened),
        "updateTime": item.opened,
        "openPrice": float(item.open_price),
        "currentPrice": float(item.open_price),
        "currentTickValue": 1.0,
        "volume": float(item.volume),
        "profit": 0.0,
        "swap": 0.0,
        "commission": 0.0,
        "realizedProfit": 0.0,
        "unrealizedProfit": 0.0,
        "reason": "POSITION_REASON_EXPERT",
        "accountCurrencyExchangeRate": 1.0,
    }
    return with_levels_and_client(data, item.sl, item.tp, item.client_id)


def order(item: PendingOrder, now: datetime) -> dict[str, Any]:
    """Return MetatraderOrder (a pending one)."""
    data: dict[str, Any] = {
        "id": int(item.id),
        "platform": "mt5",
        "type": PENDING[(item.side, item.order_type)],
        "state": "ORDER_STATE_PLACED",
        "symbol": item.symbol,
        "magic": 0,
        "time": now,
        "brokerTime": broker_time(now),
        "openPrice": float(item.price),
        "volume": float(item.volume),
        "currentVolume": float(item.volume),
        "reason": "ORDER_REASON_EXPERT",
        "fillingMode": "ORDER_FILLING_RETURN",
        "expirationType": "ORDER_TIME_GTC",
        "accountCurrencyExchangeRate": 1.0,
    }
    return with_levels_and_client(data, item.sl, item.tp, item.client_id)


def deal(deal: Deal) -> dict[str, Any]:
    """Return a MetatraderDeal."""
    data: dict[str, Any] = {
        "id": deal.id,
        "platform": "mt5",
        "symbol": deal.symbol,
        "magic": 0,
        "type": "DEAL_TYPE_BUY" if deal.side is Side.BUY else "DEAL_TYPE_SELL",
        "entryType": "DEAL_ENTRY_IN" if deal.reason is DealReason.OPEN else "DEAL_ENTRY_OUT",
        "time": deal.time,
        "brokerTime": broker_time(deal.time),
        "volume": float(deal.volume),
        "price": float(deal.price),
        "commission": 0.0,
        "swap": 0.0,
        "profit": float(deal.profit),
        "positionId": deal.position_id,
        "orderId": deal.order_id,
        "reason": DEAL_REASONS[deal.reason],
    }
    # MT5 writes its own comment on closing deals (dropping the clientId MetaAPI keeps there),
    # except on a close whose request carried one (a follow-up's close tag).
    if deal.client_id and (deal.reason is DealReason.OPEN or ids.is_close_tag(deal.client_id)):
        data["clientId"] = deal.client_id
    elif deal.reason in (DealReason.SL, DealReason.TP):
        data["brokerComment"] = f"[{deal.reason.value} {deal.price}]"
    return data


def balance_deal(account: PaperAccount, start: datetime) -> dict[str, Any]:
    """Return the deposit that opened the account, as a DEAL_TYPE_BALANCE deal."""
    return {
        "id": "0",
        "platform": "mt5",
        "type": "DEAL_TYPE_BALANCE",
        "time": start,
        "brokerTime": broker_time(start),
        "profit": float(account.ledger.balance),
        "commission": 0.0,
        "swap": 0.0,
        "comment": "deposit",
    }


def with_levels_and_client(
    data: dict[str, Any], sl: Decimal | None, tp: Decimal | None, client_id: str
) -> dict[str, Any]:
    """Add SL, TP and clientId to a payload, each only when set (as MetaAPI leaves them out)."""
    if sl is not None:
        data["stopLoss"] = float(sl)
    if tp is not None:
        data["takeProfit"] = float(tp)
    if client_id:
        data["clientId"] = client_id
    return data


def broker_time(moment: datetime | None) -> str:
    """Return a time as MetaAPI's brokerTime string (broker's zone, milliseconds)."""
    if moment is None:
        return ""
    return (moment + BROKER_TZ).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
