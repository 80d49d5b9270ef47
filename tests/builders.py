"""Builders for tests: each test states only the fields it cares about."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from signal_copier.core.market import Position, Quote, SymbolSpec
from signal_copier.core.model import Intent, IntentKind, OrderType, Side, Signal
from signal_copier.core.settings import TradeSettings, validate_settings

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
D = Decimal


def make_signal(**fields: Any) -> Signal:
    """Return a gold buy at 2650 with SL 2640 and TPs 2655/2660 unless told otherwise."""
    base: dict[str, Any] = {
        "symbol": "XAUUSD",
        "side": Side.BUY,
        "order_type": OrderType.MARKET,
        "entry": D("2650"),
        "sl": D("2640"),
        "tps": (D("2655"), D("2660")),
    }
    return Signal(**{**base, **fields})


def gold_spec(**fields: Any) -> SymbolSpec:
    """Return an MT5-like XAUUSD spec: 2 digits, 100 oz, pip 0.1, tick value 1 USD."""
    base: dict[str, Any] = {
        "symbol": "XAUUSD",
        "digits": 2,
        "point": D("0.01"),
        "tick_size": D("0.01"),
        "tick_value": D("1"),
        "contract_size": D("100"),
        "volume_min": D("0.01"),
        "volume_max": D("100"),
        "volume_step": D("0.01"),
        "stops_level": 50,
        "pip_size": D("0.1"),
    }
    return SymbolSpec(**{**base, **fields})


def eurusd_spec(**fields: Any) -> SymbolSpec:
    """Return an MT5-like EURUSD spec: 5 digits, 100k, tick value 1 USD."""
    base: dict[str, Any] = {
        "symbol": "EURUSD",
        "digits": 5,
        "point": D("0.00001"),
        "tick_size": D("0.00001"),
        "tick_value": D("1"),
        "contract_size": D("100000"),
        "volume_min": D("0.01"),
        "volume_max": D("100"),
        "volume_step": D("0.01"),
        "stops_level": 10,
    }
    return SymbolSpec(**{**base, **fields})


def quote(bid: str, ask: str, symbol: str = "XAUUSD") -> Quote:
    """Return a quote at NOW."""
    return Quote(symbol=symbol, bid=D(bid), ask=D(ask), time=NOW)


def settings(**fields: Any) -> TradeSettings:
    """Return validated settings with the given fields changed."""
    return validate_settings(
        {k: str(v) if isinstance(v, Decimal) else v for k, v in fields.items()}
    )


def position(id: str, client_id: str, **fields: Any) -> Position:
    """Return an open gold buy of 0.10 at 2650 belonging to `client_id`."""
    base: dict[str, Any] = {
        "symbol": "XAUUSD",
        "side": Side.BUY,
        "volume": D("0.10"),
        "open_price": D("2650"),
        "sl": D("2640"),
        "tp": D("2655"),
    }
    return Position(id=id, client_id=client_id, **{**base, **fields})


def make_intent(**fields: Any) -> Intent:
    """Return an OPEN intent for user u1 on chat c1, message 1, at NOW."""
    base: dict[str, Any] = {
        "id": "intent-1",
        "user_id": "u1",
        "kind": IntentKind.OPEN,
        "chat_id": "c1",
        "message_id": 1,
        "version": 0,
        "message_date": NOW,
        "received": NOW,
        "signal": make_signal(),
    }
    return Intent(**{**base, **fields})


GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"  # two TPs, market, sane levels
