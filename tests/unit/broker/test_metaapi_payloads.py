"""MetaAPI payloads → domain values: Decimal through str(), digits, the deal table, margin modes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal as D
from typing import Any

import pytest

from signal_copier.broker.metaapi import payloads
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.market import DealReason, MarginMode
from signal_copier.core.model import OrderType, Side

T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
GOLD = {
    "symbol": "XAUUSD",
    "tickSize": 0.01,
    "minVolume": 0.01,
    "maxVolume": 100.0,
    "volumeStep": 0.01,
    "contractSize": 100.0,
    "digits": 2,
    "point": 0.01,
    "pipSize": 0.1,
    "stopsLevel": 50,
    "freezeLevel": 0,
}
GOLD_PRICE = {
    "symbol": "XAUUSD",
    "bid": 2650.0,
    "ask": 2650.3,
    "profitTickValue": 0.98,
    "lossTickValue": 1.02,
    "time": T0,
    "brokerTime": "2026-01-05 11:00:00.000",
}


def test_gold_spec_keeps_the_brokers_pip_size_and_the_loss_tick_value() -> None:
    spec = payloads.symbol_spec(GOLD, GOLD_PRICE)
    assert (spec.digits, spec.point, spec.tick_size) == (2, D("0.01"), D("0.01"))
    assert spec.pip == D("0.1")  # derived from 2 digits it would be 0.01: ten times too small
    assert spec.tick_value == D("1.02")  # risk sizing prices the loss side
    assert (spec.volume_min, spec.volume_max, spec.volume_step) == (D("0.01"), D(100), D("0.01"))
    assert (spec.contract_size, spec.stops_level) == (D(100), 50)


def test_spec_of_a_five_digit_pair_reads_its_point_exactly() -> None:
    eurusd = {**GOLD, "symbol": "EURUSD", "digits": 5, "point": 1e-05, "tickSize": 1e-05}
    del eurusd["pipSize"]
    spec = payloads.symbol_spec(eurusd, {**GOLD_PRICE, "lossTickValue": 1.0})
    assert (spec.point, spec.tick_size, spec.pip_size, spec.pip) == (
        D("0.00001"),
        D("0.00001"),
        None,
        D("0.00010"),
    )


def test_spec_without_a_loss_tick_value_uses_the_profit_one() -> None:
    price = {k: v for k, v in GOLD_PRICE.items() if k != "lossTickValue"}
    assert payloads.symbol_spec(GOLD, price).tick_value == D("0.98")


@pytest.mark.parametrize(
    ("spec", "price"),
    [
        ({"volumeStep": 0}, {}),
        ({"contractSize": 0.0}, {}),
        ({"tickSize": -0.01, "point": -0.01}, {}),
        ({}, {"lossTickValue": 0, "profitTickValue": 0}),  # e.g. a closed market
        ({"minVolume": 1.0, "maxVolume": 0.5}, {}),
    ],
)
def test_a_spec_the_core_could_divide_by_zero_with_is_refused(
    spec: dict[str, Any], price: dict[str, Any]
) -> None:
    with pytest.raises(BrokerUnavailable):
        payloads.symbol_spec({**GOLD, **spec}, {**GOLD_PRICE, **price})


def test_quote_rounds_float_noise_to_the_symbols_digits() -> None:
    price = {**GOLD_PRICE, "bid": 2650.1000000000004, "ask": 2650.3999999999996}
    quote = payloads.quote("XAUUSD", price, 2)
    assert (quote.bid, quote.ask, quote.time) == (D("2650.10"), D("2650.40"), T0)


def test_quote_time_in_another_zone_is_read_as_utc() -> None:
    local = T0.astimezone(timezone(timedelta(hours=2)))
    assert payloads.quote("XAUUSD", {**GOLD_PRICE, "time": local}, 2).time == T0


@pytest.mark.parametrize(
    ("raw", "platform", "mode"),
    [
        ("ACCOUNT_MARGIN_MODE_RETAIL_HEDGING", "mt5", MarginMode.HEDGING),
        ("ACCOUNT_MARGIN_MODE_RETAIL_NETTING", "mt5", MarginMode.NETTING),
        ("ACCOUNT_MARGIN_MODE_EXCHANGE", "mt5", MarginMode.EXCHANGE),
        (None, "mt4", MarginMode.HEDGING),
        (None, "mt5", MarginMode.NETTING),  # unknown: the mode that refuses, not mis-trades
        ("ACCOUNT_MARGIN_MODE_SOMETHING_NEW", "mt5", MarginMode.NETTING),
    ],
)
def test_account_info_reads_the_margin_mode(raw: Any, platform: str, mode: MarginMode) -> None:
    data = {"balance": 10000.5, "equity": 10012.25, "currency": "USD", "platform": platform}
    if raw is not None:
        data["marginMode"] = raw
    info = payloads.account_info("acc", data)
    assert (info.balance, info.equity, info.currency, info.margin_mode) == (
        D("10000.5"),
        D("10012.25"),
        "USD",
        mode,
    )


def test_position_with_an_int_id_and_no_levels() -> None:
    data = {
        "id": 46648037,
        "type": "POSITION_TYPE_SELL",
        "symbol": "XAUUSD",
        "time": T0,
        "openPrice": 2650.0,
        "volume": 0.1,
        "stopLoss": 0,
    }
    position = payloads.position(data, 2)
    assert (position.id, position.side, position.volume) == ("46648037", Side.SELL, D("0.1"))
    assert (position.open_price, position.sl, position.tp) == (D("2650.00"), None, None)
    assert (position.client_id, position.opened) == ("", T0)


def test_position_of_an_unknown_type_is_an_error_not_a_guess() -> None:
    with pytest.raises(BrokerUnavailable):
        payloads.position({"id": 1, "type": "POSITION_TYPE_WHAT", "volume": 1, "openPrice": 1}, 2)


@pytest.mark.parametrize(
    ("kind", "side", "order_type"),
    [
        ("ORDER_TYPE_BUY_LIMIT", Side.BUY, OrderType.LIMIT),
        ("ORDER_TYPE_SELL_LIMIT", Side.SELL, OrderType.LIMIT),
        ("ORDER_TYPE_BUY_STOP", Side.BUY, OrderType.STOP),
        ("ORDER_TYPE_SELL_STOP", Side.SELL, OrderType.STOP),
        ("ORDER_TYPE_BUY_STOP_LIMIT", Side.BUY, OrderType.STOP),
    ],
)
def test_pending_order_types(kind: str, side: Side, order_type: OrderType) -> None:
    data = {
        "id": 7,
        "type": kind,
        "symbol": "XAUUSD",
        "openPrice": 2640.0,
        "volume": 0.2,
        "currentVolume": 0.1,
        "takeProfit": 2660.0,
        "clientId": "sc0123456789abcdef01.0",
    }
    order = payloads.pending_order(data, 2)
    assert order is not None
    assert (order.id, order.side, order.order_type, order.volume) == (
        "7",
        side,
        order_type,
        D("0.1"),
    )
    assert (order.price, order.sl, order.tp) == (D("2640.00"), None, D("2660.00"))
    assert order.client_id == "sc0123456789abcdef01.0"


def test_a_close_by_order_is_not_listed() -> None:
    assert payloads.pending_order({"id": 9, "type": "ORDER_TYPE_CLOSE_BY"}, 2) is None


def _deal(n: int, entry: str | None, reason: str | None, **fields: Any) -> dict[str, Any]:
    data = {
        "id": str(n),
        "type": "DEAL_TYPE_BUY",
        "symbol": "XAUUSD",
        "time": T0 + timedelta(seconds=n),
        "volume": 0.1,
        "price": 2650.3,
        "profit": 0.0,
        "positionId": "100",
        "orderId": str(n),
        "platform": "mt5",
    }
    if entry is not None:
        data["entryType"] = entry
    if reason is not None:
        data["reason"] = reason
    return {**data, **fields}


@pytest.mark.parametrize(
    ("entry", "reason", "expected"),
    [
        ("DEAL_ENTRY_IN", "DEAL_REASON_EXPERT", DealReason.OPEN),
        ("DEAL_ENTRY_IN", "DEAL_REASON_CLIENT", DealReason.OPEN),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_SL", DealReason.SL),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_TP", DealReason.TP),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_EXPERT", DealReason.CLOSE),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_CLIENT", DealReason.CLOSE),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_MOBILE", DealReason.CLOSE),
        ("DEAL_ENTRY_OUT", "DEAL_REASON_SO", DealReason.CLOSE),  # a stop-out is no TP
        ("DEAL_ENTRY_OUT", None, DealReason.CLOSE),
        ("DEAL_ENTRY_OUT_BY", "DEAL_REASON_EXPERT", DealReason.CLOSE),
        ("DEAL_ENTRY_INOUT", "DEAL_REASON_EXPERT", DealReason.CLOSE),
    ],
)
def test_deal_entry_and_reason_map_to_our_reason(
    entry: str, reason: str | None, expected: DealReason
) -> None:
    (deal,) = payloads.deals([_deal(1, entry, reason, clientId="sc0123456789abcdef01.0")])
    assert deal.reason is expected


def test_deals_that_are_not_trades_are_dropped() -> None:
    balance = {"id": "0", "type": "DEAL_TYPE_BALANCE", "time": T0, "profit": 10000.0}
    unknown_entry = _deal(2, "DEAL_ENTRY_SIDEWAYS", None)
    assert payloads.deals([balance, unknown_entry]) == []


def test_a_closing_deal_without_client_id_takes_its_positions_and_deals_come_oldest_first() -> None:
    opening = _deal(1, "DEAL_ENTRY_IN", "DEAL_REASON_EXPERT", clientId="sc0123456789abcdef01.1")
    closing = _deal(
        2, "DEAL_ENTRY_OUT", "DEAL_REASON_TP", type="DEAL_TYPE_SELL", profit=50.0,
        commission=-0.7, swap=-0.3, brokerComment="[tp 2655.30]",
    )  # fmt: skip
    found = payloads.deals([closing, opening])
    assert [d.id for d in found] == ["1", "2"]
    assert [d.client_id for d in found] == ["sc0123456789abcdef01.1"] * 2
    assert (found[1].side, found[1].reason, found[1].profit) == (
        Side.SELL,
        DealReason.TP,
        D("49.0"),
    )
    assert (found[1].volume, found[1].price) == (D("0.1"), D("2650.3"))


@pytest.mark.parametrize("value", [None, True, "abc", float("nan"), float("inf"), [1]])
def test_a_number_that_is_not_one_is_refused(value: Any) -> None:
    with pytest.raises(BrokerUnavailable, match="balance"):
        payloads.decimal(value, "balance")


@pytest.mark.parametrize(
    ("value", "digits", "sent"),
    [(D("2650.125"), 2, 2650.12), (D("2650.135"), 2, 2650.14), (D("1.085004"), 5, 1.085)],
)
def test_prices_are_rounded_to_the_digits_before_they_become_floats(
    value: D, digits: int, sent: float
) -> None:
    assert payloads.to_float(value, digits) == sent
