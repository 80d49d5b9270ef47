"""The paper broker behaves like an MT5 server: fills, rejections, SL/TP, names, tick values."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.errors import BrokerRejected, InvalidInput, UnknownSymbol
from signal_copier.core.market import (
    BrokerEvent,
    Credentials,
    DealReason,
    EventKind,
    broker_events,
)
from signal_copier.core.model import OrderRequest, OrderType, Side
from signal_copier.core.ports import Broker, BrokerAccount

D = Decimal
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
CANONICAL = (
    *("EURUSD", "GBPUSD", "USDJPY", "USDCHF", "AUDUSD", "USDCAD", "NZDUSD", "EURJPY"),
    *("GBPJPY", "EURGBP", "EURAUD", "AUDJPY", "EURCHF", "GBPCHF", "CADJPY"),
    *("XAUUSD", "XAGUSD", "US30", "NAS100", "GER40", "BTCUSD", "ETHUSD"),
)


@pytest.fixture
def broker() -> PaperBroker:
    return PaperBroker(now=START)


@pytest.fixture
def account(broker: PaperBroker) -> PaperAccount:
    return broker.open_account("acc-1", balance=D(10000))


def make_order(
    symbol: str = "XAUUSD",
    side: Side = Side.BUY,
    order_type: OrderType = OrderType.MARKET,
    volume: str = "0.10",
    price: str | None = None,
    sl: str | None = None,
    tp: str | None = None,
    client_id: str = "sc-test.1",
) -> OrderRequest:
    return OrderRequest(
        client_id=client_id,
        symbol=symbol,
        side=side,
        order_type=order_type,
        volume=D(volume),
        price=None if price is None else D(price),
        sl=None if sl is None else D(sl),
        tp=None if tp is None else D(tp),
    )


def tick(
    broker: PaperBroker, symbol: str, bid: str, ask: str, minutes: int = 1
) -> list[BrokerEvent]:
    return broker.set_quotes({symbol: (D(bid), D(ask))}, broker.now + timedelta(minutes=minutes))


def _public_methods(cls: type) -> dict[str, inspect.Signature]:
    return {
        name: inspect.signature(member, eval_str=True)
        for name, member in vars(cls).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


# --- the port --------------------------------------------------------------------------------


def test_paper_account_has_every_broker_account_method_with_the_same_signature() -> None:
    wanted = _public_methods(BrokerAccount)
    for name, signature in wanted.items():
        method = getattr(PaperAccount, name)
        assert inspect.iscoroutinefunction(method), name
        assert inspect.signature(method, eval_str=True) == signature, name
    assert len(wanted) == 13


def test_paper_broker_connect_has_the_broker_signature() -> None:
    actual = inspect.signature(PaperBroker.connect, eval_str=True)
    assert actual == _public_methods(Broker)["connect"]


async def test_connect_returns_the_opened_account(
    broker: PaperBroker, account: PaperAccount
) -> None:
    connected = await broker.connect("tg1", Credentials(account_id="acc-1", token="t"))
    assert connected is account


async def test_connect_to_an_unknown_account_is_rejected(broker: PaperBroker) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await broker.connect("tg1", Credentials(account_id="nobody"))
    assert caught.value.reason == "unknown_account"


def test_opening_the_same_account_twice_is_invalid(
    broker: PaperBroker, account: PaperAccount
) -> None:
    with pytest.raises(InvalidInput):
        broker.open_account("acc-1", balance=D(1))


# --- symbols, specs and quotes ---------------------------------------------------------------


async def test_every_canonical_symbol_has_a_spec_and_a_default_quote(account: PaperAccount) -> None:
    assert set(CANONICAL) <= set(await account.symbols())
    for symbol in CANONICAL:
        spec = await account.symbol_spec(symbol)
        quote = await account.quote(symbol)
        assert spec.volume_min == D("0.01")
        assert spec.point == spec.tick_size == D(1).scaleb(-spec.digits)
        assert D(0) < quote.bid < quote.ask
        assert quote.bid == quote.bid.quantize(spec.point)
        assert spec.tick_value > 0


@pytest.mark.parametrize(
    ("symbol", "pip"),
    [("EURUSD", "0.0001"), ("USDJPY", "0.01"), ("XAUUSD", "0.1"), ("US30", "1"), ("BTCUSD", "1")],
)
async def test_pip_size_follows_mt5_conventions(
    account: PaperAccount, symbol: str, pip: str
) -> None:
    assert (await account.symbol_spec(symbol)).pip == D(pip)


async def test_default_prices_are_realistic(account: PaperAccount) -> None:
    gold = await account.quote("XAUUSD")
    euro = await account.quote("EURUSD")
    assert (gold.bid, gold.ask) == (D("2650.00"), D("2650.30"))
    assert (euro.bid, euro.ask) == (D("1.08500"), D("1.08508"))


async def test_quote_time_is_the_paper_clock(broker: PaperBroker, account: PaperAccount) -> None:
    broker.advance(START + timedelta(hours=2))
    assert (await account.quote("EURUSD")).time == START + timedelta(hours=2)


@pytest.mark.parametrize(
    ("options", "gold_name"),
    [
        ({"symbol_suffix": ".m"}, "XAUUSD.m"),
        ({"symbol_suffix": "m"}, "XAUUSDm"),
        ({"symbol_prefix": "m."}, "m.XAUUSD"),
        ({"aliases": {"GOLD": "XAUUSD"}}, "GOLD"),
    ],
)
async def test_suffix_account_lists_broker_symbol_names(
    broker: PaperBroker, options: dict[str, Any], gold_name: str
) -> None:
    account = broker.open_account("named", balance=D(1000), **options)
    names = await account.symbols()
    assert gold_name in names
    assert (await account.symbol_spec(gold_name)).symbol == gold_name
    assert (await account.quote(gold_name)).bid == D("2650.00")


async def test_canonical_name_is_unknown_on_a_suffix_broker(broker: PaperBroker) -> None:
    account = broker.open_account("suffixed", balance=D(1000), symbol_suffix=".m")
    with pytest.raises(UnknownSymbol):
        await account.symbol_spec("XAUUSD")
    with pytest.raises(UnknownSymbol):
        await account.place(make_order(symbol="XAUUSD"))


def test_alias_for_an_unknown_symbol_is_invalid(broker: PaperBroker) -> None:
    with pytest.raises(InvalidInput):
        broker.open_account("bad", balance=D(1), aliases={"COFFEE": "KCUSD"})


async def test_quotes_apply_to_every_account_under_its_own_names(broker: PaperBroker) -> None:
    plain = broker.open_account("plain", balance=D(10000))
    suffixed = broker.open_account("suffixed", balance=D(10000), symbol_suffix=".m")
    await plain.place(make_order(tp="2660.00", client_id="a"))
    await suffixed.place(make_order(symbol="XAUUSD.m", tp="2660.00", client_id="b"))
    events = tick(broker, "XAUUSD", "2661.00", "2661.30")
    assert [(e.account_id, e.symbol, e.client_id) for e in events] == [
        ("plain", "XAUUSD", "a"),
        ("suffixed", "XAUUSD.m", "b"),
    ]


async def test_set_quotes_rounds_prices_to_the_symbol_digits(
    broker: PaperBroker, account: PaperAccount
) -> None:
    tick(broker, "EURUSD", "1.0912345", "1.0913")
    quote = await account.quote("EURUSD")
    assert (quote.bid, quote.ask) == (D("1.09123"), D("1.09130"))


async def test_bid_above_ask_is_invalid_and_changes_nothing(
    broker: PaperBroker, account: PaperAccount
) -> None:
    with pytest.raises(InvalidInput):
        tick(broker, "EURUSD", "1.1000", "1.0900")
    assert broker.now == START
    assert (await account.quote("EURUSD")).bid == D("1.08500")


@pytest.mark.parametrize("price", [D("1e30"), D("NaN"), D("Infinity"), D("1e9")])
async def test_a_quote_that_is_not_a_price_is_invalid_and_changes_nothing(
    broker: PaperBroker, account: PaperAccount, price: Decimal
) -> None:
    before = await account.quote("XAUUSD")

    with pytest.raises(InvalidInput, match=r"XAUUSD: .* is not a price"):
        broker.set_quotes({"XAUUSD": (price, price)}, START + timedelta(seconds=1))

    assert await account.quote("XAUUSD") == before


async def test_an_order_at_a_price_too_large_to_round_is_rejected(account: PaperAccount) -> None:
    order = make_order(order_type=OrderType.LIMIT, price="1e30")

    with pytest.raises(BrokerRejected, match="is not a price for XAUUSD") as raised:
        await account.place(order)

    assert raised.value.reason == "invalid_price"


def test_paper_clock_cannot_go_back(broker: PaperBroker) -> None:
    with pytest.raises(InvalidInput):
        broker.advance(START - timedelta(seconds=1))


def test_set_quotes_with_an_unknown_symbol_raises_unknown_symbol(broker: PaperBroker) -> None:
    with pytest.raises(UnknownSymbol):
        tick(broker, "KCUSD", "1", "2")


# --- market orders ---------------------------------------------------------------------------


async def test_market_buy_fills_at_ask_and_opens_a_position(account: PaperAccount) -> None:
    fill = await account.place(make_order(sl="2640.00", tp="2660.00"))
    [position] = await account.positions()
    assert (fill.price, fill.pending, fill.position_id) == (D("2650.30"), False, position.id)
    assert (position.open_price, position.sl, position.tp) == (D("2650.30"), D(2640), D(2660))
    assert position.client_id == "sc-test.1"
    assert position.opened == START


async def test_market_sell_fills_at_bid(account: PaperAccount) -> None:
    fill = await account.place(make_order(side=Side.SELL))
    assert fill.price == D("2650.00")


async def test_market_fill_records_an_open_deal_with_the_client_id(account: PaperAccount) -> None:
    fill = await account.place(make_order())
    [deal] = await account.history(START)
    assert (deal.reason, deal.order_id, deal.position_id) == (DealReason.OPEN, fill.order_id, "1")
    assert (deal.client_id, deal.side, deal.volume, deal.profit) == (
        "sc-test.1",
        Side.BUY,
        D("0.10"),
        D(0),
    )


async def test_fill_carries_the_order_leg(account: PaperAccount) -> None:
    order = make_order()
    fill = await account.place(OrderRequest(**{**_fields(order), "leg": 2}))
    assert fill.leg == 2


def _fields(order: OrderRequest) -> dict[str, Any]:
    return {name: getattr(order, name) for name in order.__dataclass_fields__}


@pytest.mark.parametrize("volume", ["0.001", "0", "101", "0.015"])
async def test_volume_off_step_or_out_of_range_is_rejected(
    account: PaperAccount, volume: str
) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(volume=volume))
    assert caught.value.reason == "invalid_volume"
    assert await account.positions() == []


@pytest.mark.parametrize(
    ("side", "sl", "tp"),
    [
        (Side.BUY, "2655.00", None),  # buy SL above the market
        (Side.BUY, None, "2640.00"),  # buy TP below the market
        (Side.SELL, "2640.00", None),  # sell SL below the market
        (Side.SELL, None, "2660.00"),  # sell TP above the market
        (Side.BUY, "2650.10", None),  # buy SL between bid and ask: closes at bid
    ],
)
async def test_sl_or_tp_on_the_wrong_side_is_rejected(
    account: PaperAccount, side: Side, sl: str | None, tp: str | None
) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(side=side, sl=sl, tp=tp))
    assert caught.value.reason == "invalid_stops"


async def test_sl_closer_than_the_stops_level_is_rejected(account: PaperAccount) -> None:
    # XAUUSD stops level is 50 points = 0.50; a buy closes at bid 2650.00.
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(sl="2649.60"))
    assert caught.value.reason == "invalid_stops"
    await account.place(make_order(sl="2649.50"))  # exactly the stops level is allowed


async def test_unknown_symbol_raises_unknown_symbol(account: PaperAccount) -> None:
    with pytest.raises(UnknownSymbol):
        await account.place(make_order(symbol="GOLD"))


async def test_insufficient_margin_is_rejected_as_no_money(broker: PaperBroker) -> None:
    small = broker.open_account("small", balance=D(1000))
    # 1 lot of gold at 2650.30: margin 100 * 2650.30 / 100 = 2650.30 USD > 1000 free.
    with pytest.raises(BrokerRejected) as caught:
        await small.place(make_order(volume="1"))
    assert caught.value.reason == "no_money"
    await small.place(make_order(volume="0.30"))  # 795.09 USD margin fits


async def test_prices_are_rounded_to_the_symbol_digits(account: PaperAccount) -> None:
    await account.place(make_order(sl="2640.004", tp="2660.006"))
    [position] = await account.positions()
    assert (position.sl, position.tp) == (D("2640.00"), D("2660.01"))


# --- pending orders --------------------------------------------------------------------------


async def test_limit_order_waits_and_returns_a_pending_fill(account: PaperAccount) -> None:
    fill = await account.place(make_order(order_type=OrderType.LIMIT, price="2645.00"))
    [order] = await account.orders()
    assert (fill.pending, fill.position_id, fill.order_id) == (True, None, order.id)
    assert (order.price, order.order_type, order.client_id) == (
        D(2645),
        OrderType.LIMIT,
        "sc-test.1",
    )
    assert await account.positions() == []


@pytest.mark.parametrize(
    ("side", "order_type", "price"),
    [
        (Side.BUY, OrderType.LIMIT, "2650.30"),  # buy limit at/above ask
        (Side.BUY, OrderType.STOP, "2650.00"),  # buy stop below ask
        (Side.SELL, OrderType.LIMIT, "2649.00"),  # sell limit below bid
        (Side.SELL, OrderType.STOP, "2650.00"),  # sell stop at/above bid
        (Side.BUY, OrderType.LIMIT, "2650.00"),  # inside the stops level (0.50) of the ask
    ],
)
async def test_pending_price_already_crossed_is_rejected_as_invalid_price(
    account: PaperAccount, side: Side, order_type: OrderType, price: str
) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(side=side, order_type=order_type, price=price))
    assert caught.value.reason == "invalid_price"


async def test_pending_order_without_price_is_rejected(account: PaperAccount) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(order_type=OrderType.STOP))
    assert caught.value.reason == "invalid_price"


async def test_pending_sl_is_checked_against_the_order_price(account: PaperAccount) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await account.place(make_order(order_type=OrderType.LIMIT, price="2640.00", sl="2641.00"))
    assert caught.value.reason == "invalid_stops"


async def test_buy_limit_fills_when_ask_crosses_price_and_emits_event(
    broker: PaperBroker, account: PaperAccount
) -> None:
    fill = await account.place(
        make_order(order_type=OrderType.LIMIT, price="2645.00", sl="2635.00", tp="2660.00")
    )
    assert tick(broker, "XAUUSD", "2645.10", "2645.40") == []
    [event] = tick(broker, "XAUUSD", "2644.70", "2645.00")
    [position] = await account.positions()
    assert event.kind is EventKind.ORDER_FILLED
    assert (event.order_id, event.position_id, event.client_id) == (
        fill.order_id,
        position.id,
        "sc-test.1",
    )
    assert (event.price, event.volume, event.time) == (D("2645.00"), D("0.10"), broker.now)
    assert (position.open_price, position.sl, position.tp) == (D(2645), D(2635), D(2660))
    assert await account.orders() == []


async def test_a_trades_legs_follow_it_as_its_entry_fills_and_its_positions_close(
    broker: PaperBroker, account: PaperAccount
) -> None:
    # Arrange: trade "sc-a" holds a position and a buy limit; "sc-b" and a manual one a position
    await account.place(make_order(client_id="sc-a.0"))
    await account.place(make_order(client_id="sc-b.0"))
    await account.open_manual("XAUUSD", Side.BUY, D("0.10"))
    await account.place(make_order(order_type=OrderType.LIMIT, price="2645.00", client_id="sc-a.1"))
    (first,), _ = await account.legs_of(["sc-a"])

    # Act: the limit fills, then the first position closes
    tick(broker, "XAUUSD", "2644.70", "2645.00")
    filled = await account.legs_of(["sc-a"])
    await account.close_position(first.id)
    (second,), orders = await account.legs_of(["sc-a"])

    # Assert
    assert [p.client_id for p in filled[0]] == ["sc-a.0", "sc-a.1"] and filled[1] == []
    assert (second.client_id, orders) == ("sc-a.1", [])
    both = await account.legs_of(["sc-b", "sc-a"])
    assert [p.client_id for p in both[0]] == ["sc-b.0", "sc-a.1"]


@pytest.mark.parametrize(
    ("side", "order_type", "price", "bid", "ask", "fill_price"),
    [
        (Side.BUY, OrderType.STOP, "2655.00", "2655.00", "2655.30", "2655.30"),
        (Side.SELL, OrderType.LIMIT, "2655.00", "2655.00", "2655.30", "2655.00"),
        (Side.SELL, OrderType.STOP, "2645.00", "2644.00", "2644.30", "2644.00"),
        (Side.BUY, OrderType.LIMIT, "2645.00", "2640.00", "2640.30", "2640.30"),
    ],
)
async def test_pending_orders_fill_at_the_market_when_crossed(
    broker: PaperBroker,
    account: PaperAccount,
    side: Side,
    order_type: OrderType,
    price: str,
    bid: str,
    ask: str,
    fill_price: str,
) -> None:
    await account.place(make_order(side=side, order_type=order_type, price=price))
    [event] = tick(broker, "XAUUSD", bid, ask)
    [position] = await account.positions()
    assert event.price == position.open_price == D(fill_price)
    assert position.side is side


async def test_modify_order_changes_price_and_stops(account: PaperAccount) -> None:
    fill = await account.place(make_order(order_type=OrderType.LIMIT, price="2645.00"))
    await account.modify_order(fill.order_id, price=D("2640.00"), sl=D("2630.00"), tp=None)
    [order] = await account.orders()
    assert (order.price, order.sl, order.tp) == (D(2640), D(2630), None)


async def test_modify_order_to_a_crossed_price_is_rejected(account: PaperAccount) -> None:
    fill = await account.place(make_order(order_type=OrderType.LIMIT, price="2645.00"))
    with pytest.raises(BrokerRejected) as caught:
        await account.modify_order(fill.order_id, price=D("2651.00"), sl=None, tp=None)
    assert caught.value.reason == "invalid_price"


async def test_cancel_order_removes_it(account: PaperAccount) -> None:
    fill = await account.place(make_order(order_type=OrderType.LIMIT, price="2645.00"))
    await account.cancel_order(fill.order_id)
    assert await account.orders() == []


# --- SL, TP and closing ----------------------------------------------------------------------


async def test_tp_hit_closes_position_and_credits_profit(
    broker: PaperBroker, account: PaperAccount
) -> None:
    fill = await account.place(make_order(tp="2660.00"))
    [event] = tick(broker, "XAUUSD", "2660.00", "2660.30")
    # (2660.00 - 2650.30) * 0.10 lot * 100 oz = 97.00 USD
    assert (event.kind, event.reason, event.position_id) == (
        EventKind.POSITION_CLOSED,
        DealReason.TP,
        fill.position_id,
    )
    assert (event.price, event.volume, event.client_id) == (D("2660.00"), D("0.10"), "sc-test.1")
    assert (await account.account_info()).balance == D("10097.00")
    assert await account.positions() == []
    close = (await account.history(START))[-1]
    assert (close.reason, close.side, close.profit) == (DealReason.TP, Side.SELL, D("97.00"))


async def test_sl_hit_on_a_sell_closes_at_ask_and_debits_the_loss(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(side=Side.SELL, sl="2655.00"))
    assert tick(broker, "XAUUSD", "2654.80", "2654.99") == []
    [event] = tick(broker, "XAUUSD", "2654.70", "2655.00")
    # (2650.00 - 2655.00) * 0.10 * 100 = -50.00
    assert (event.reason, event.price) == (DealReason.SL, D("2655.00"))
    assert (await account.account_info()).balance == D("9950.00")


async def test_gap_through_the_sl_closes_at_the_market_price(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(sl="2640.00"))
    [event] = tick(broker, "XAUUSD", "2630.00", "2630.30")
    assert (event.reason, event.price) == (DealReason.SL, D("2630.00"))


async def test_manual_close_emits_no_event_and_records_a_close_deal(
    broker: PaperBroker, account: PaperAccount
) -> None:
    fill = await account.place(make_order())
    assert fill.position_id is not None
    await account.close_position(fill.position_id)
    assert tick(broker, "XAUUSD", "2600.00", "2600.30") == []
    close = (await account.history(START))[-1]
    assert (close.reason, close.profit, close.position_id) == (DealReason.CLOSE, D("-3.00"), "1")


async def test_partial_close_reduces_volume_and_records_deal(
    broker: PaperBroker, account: PaperAccount
) -> None:
    fill = await account.place(make_order(volume="0.30"))
    assert fill.position_id is not None
    tick(broker, "XAUUSD", "2660.30", "2660.60")
    await account.close_position(fill.position_id, D("0.10"))
    [position] = await account.positions()
    close = (await account.history(START))[-1]
    assert (position.id, position.volume) == (fill.position_id, D("0.20"))
    assert (close.reason, close.volume, close.price, close.profit) == (
        DealReason.CLOSE,
        D("0.10"),
        D("2660.30"),
        D("100.00"),
    )
    assert (close.client_id, close.position_id) == ("sc-test.1", fill.position_id)


@pytest.mark.parametrize("volume", ["0.40", "0.015", "0"])
async def test_close_volume_off_step_or_above_the_position_is_rejected(
    account: PaperAccount, volume: str
) -> None:
    fill = await account.place(make_order(volume="0.30"))
    assert fill.position_id is not None
    with pytest.raises(BrokerRejected) as caught:
        await account.close_position(fill.position_id, D(volume))
    assert caught.value.reason == "invalid_volume"
    assert (await account.positions())[0].volume == D("0.30")


async def test_modify_position_moves_stops(account: PaperAccount) -> None:
    fill = await account.place(make_order(sl="2640.00"))
    assert fill.position_id is not None
    await account.modify_position(fill.position_id, sl=D("2645.00"), tp=D("2670.00"))
    [position] = await account.positions()
    assert (position.sl, position.tp) == (D(2645), D(2670))


async def test_modify_position_with_none_removes_the_levels(account: PaperAccount) -> None:
    fill = await account.place(make_order(sl="2640.00", tp="2660.00"))
    assert fill.position_id is not None
    await account.modify_position(fill.position_id, sl=None, tp=None)
    [position] = await account.positions()
    assert (position.sl, position.tp) == (None, None)


async def test_breakeven_sl_before_price_moves_is_rejected_as_invalid_stops(
    account: PaperAccount,
) -> None:
    # A buy opened at ask 2650.30 closes at bid 2650.00: SL at entry is above the market.
    fill = await account.place(make_order())
    assert fill.position_id is not None
    with pytest.raises(BrokerRejected) as caught:
        await account.modify_position(fill.position_id, sl=D("2650.30"), tp=None)
    assert caught.value.reason == "invalid_stops"


@pytest.mark.parametrize(
    "call",
    [
        lambda a: a.close_position("999"),
        lambda a: a.modify_position("999", sl=None, tp=None),
        lambda a: a.modify_order("999", price=D(2600), sl=None, tp=None),
        lambda a: a.cancel_order("999"),
    ],
)
async def test_unknown_position_or_order_id_is_not_found(account: PaperAccount, call: Any) -> None:
    with pytest.raises(BrokerRejected) as caught:
        await call(account)
    assert caught.value.reason == "not_found"


# --- money: tick values, profit, equity ------------------------------------------------------


async def test_usd_quoted_tick_value_is_tick_size_times_contract_size(
    account: PaperAccount,
) -> None:
    assert (await account.symbol_spec("XAUUSD")).tick_value == D("1")
    assert (await account.symbol_spec("EURUSD")).tick_value == D("1")
    assert (await account.symbol_spec("BTCUSD")).tick_value == D("0.01")


async def test_jpy_tick_value_converts_to_account_currency(
    broker: PaperBroker, account: PaperAccount
) -> None:
    tick(broker, "USDJPY", "149.995", "150.005")
    # 0.001 * 100000 JPY = 100 JPY; / 150.000 = 0.66666667 USD
    assert (await account.symbol_spec("USDJPY")).tick_value == D("0.66666667")
    assert (await account.symbol_spec("GBPJPY")).tick_value == D("0.66666667")


@pytest.mark.parametrize(
    ("symbol", "tick_value"),
    [
        ("EURGBP", D("1.27006")),  # 1 GBP → USD at the GBPUSD mid
        ("EURCHF", 1 / D("0.88007")),  # 1 CHF → USD through the USDCHF mid
        ("USDCAD", 1 / D("1.360075")),  # 1 CAD → USD through the USDCAD mid
        ("EURAUD", D("0.66005")),  # 1 AUD → USD at the AUDUSD mid
        ("GER40", D("0.108504")),  # 0.1 EUR → USD at the EURUSD mid 1.08504
    ],
)
async def test_cross_tick_values_convert_through_the_usd_pair(
    account: PaperAccount, symbol: str, tick_value: Decimal
) -> None:
    expected = tick_value.quantize(D("1e-8"))
    assert (await account.symbol_spec(symbol)).tick_value == expected


async def test_eur_account_converts_usd_tick_value(broker: PaperBroker) -> None:
    euro = broker.open_account("eur", balance=D(10000), currency="EUR")
    # 1 USD / EURUSD mid 1.08504
    assert (await euro.symbol_spec("XAUUSD")).tick_value == D("0.92162501")


async def test_account_currency_without_a_quote_is_rejected(broker: PaperBroker) -> None:
    zloty = broker.open_account("pln", balance=D(10000), currency="PLN")
    with pytest.raises(BrokerRejected) as caught:
        await zloty.symbol_spec("XAUUSD")
    assert caught.value.reason == "no_quotes"
    for order in (make_order(), make_order(order_type=OrderType.LIMIT, price="2640.00")):
        with pytest.raises(BrokerRejected):
            await zloty.place(order)


async def test_jpy_profit_converts_to_account_currency(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(symbol="USDJPY", volume="1", tp="150.512"))
    [event] = tick(broker, "USDJPY", "150.512", "150.524")
    # (150.512 - 150.012) * 100000 = 50000 JPY; / mid 150.518 = 332.19 USD
    assert event.reason is DealReason.TP
    assert (await account.account_info()).balance == D("10332.19")


async def test_equity_includes_floating_profit(broker: PaperBroker, account: PaperAccount) -> None:
    await account.place(make_order())
    tick(broker, "XAUUSD", "2655.30", "2655.60")
    info = await account.account_info()
    assert (info.balance, info.equity, info.currency) == (D(10000), D("10050.00"), "USD")


async def test_equity_follows_every_price_move_and_every_position_change(
    broker: PaperBroker, account: PaperAccount
) -> None:
    tick(broker, "XAUUSD", "2650.00", "2650.30")
    tick(broker, "EURUSD", "1.08500", "1.08510")
    await account.place(make_order(volume="0.10"))  # buys at 2650.30: -3.00 at the bid
    await account.place(make_order(side=Side.SELL, volume="0.20"))  # sells at 2650.00: -6.00
    await account.place(make_order(symbol="EURUSD", volume="0.50"))  # buys at 1.08510: -5.00
    seen = [(await account.account_info()).equity]

    tick(broker, "XAUUSD", "2655.30", "2655.60")  # +50.00 and -112.00
    seen.append((await account.account_info()).equity)
    tick(broker, "EURUSD", "1.08700", "1.08710")  # +95.00
    seen.append((await account.account_info()).equity)
    [sold] = [p for p in await account.positions() if p.side is Side.SELL]
    await account.close_position(sold.id, D("0.10"))  # -56.00 realised, -56.00 still floating
    info = await account.account_info()
    seen.append(info.equity)
    await account.place(make_order(volume="0.10"))  # buys at 2655.60: -3.00 at the bid
    seen.append((await account.account_info()).equity)

    assert seen == [D("9986.00"), D("9933.00"), D("10033.00"), D("10033.00"), D("10030.00")]
    assert info.balance == D("9944.00")


# --- manual trades, ids, determinism ---------------------------------------------------------


async def test_manual_trade_has_no_client_id(account: PaperAccount) -> None:
    position = await account.open_manual("XAUUSD", Side.SELL, D("0.05"))
    [listed] = await account.positions()
    [deal] = await account.history(START)
    assert listed == position
    assert (position.client_id, deal.client_id, position.open_price) == ("", "", D("2650.00"))


async def test_manual_trade_is_validated_like_any_order(account: PaperAccount) -> None:
    with pytest.raises(BrokerRejected):
        await account.open_manual("XAUUSD", Side.BUY, D("0.001"))


async def test_ids_are_sequential_strings_and_a_position_keeps_its_order_ticket(
    account: PaperAccount,
) -> None:
    first = await account.place(make_order())
    second = await account.place(make_order(order_type=OrderType.LIMIT, price="2640.00"))
    assert (first.order_id, first.position_id, second.order_id) == ("1", "1", "3")


async def test_history_returns_deals_since_a_time(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(client_id="early"))
    broker.advance(START + timedelta(hours=1))
    await account.place(make_order(client_id="late"))
    deals = await account.history(START + timedelta(minutes=30))
    assert [deal.client_id for deal in deals] == ["late"]


async def test_events_come_fills_first_then_closes_in_ticket_order(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(tp="2655.00", client_id="tp"))
    await account.place(make_order(order_type=OrderType.STOP, price="2655.00", client_id="stop"))
    events = tick(broker, "XAUUSD", "2656.00", "2656.30")
    assert [(e.kind, e.client_id) for e in events] == [
        (EventKind.ORDER_FILLED, "stop"),
        (EventKind.POSITION_CLOSED, "tp"),
    ]


async def _replay() -> list[BrokerEvent]:
    broker = PaperBroker(now=START)
    account = broker.open_account("replay", balance=D(5000), symbol_suffix=".m")
    await account.place(make_order(symbol="XAUUSD.m", tp="2660.00", client_id="a"))
    await account.place(
        make_order(symbol="XAUUSD.m", order_type=OrderType.LIMIT, price="2645.00", client_id="b")
    )
    return tick(broker, "XAUUSD", "2644.00", "2644.30") + tick(broker, "XAUUSD", "2661.0", "2661.3")


async def test_replaying_the_same_script_yields_identical_events() -> None:
    first, second = await _replay(), await _replay()
    assert first == second
    assert [e.order_id for e in first] == ["3", "5"]


async def test_every_event_kind_is_one_a_broker_source_emits(
    broker: PaperBroker, account: PaperAccount
) -> None:
    await account.place(make_order(order_type=OrderType.LIMIT, price="2600", sl="2590"))
    await account.place(make_order(sl="2640", client_id="sc-test.2"))
    await account.place(make_order(volume="0.20", client_id="sc-test.3"))
    reduced = (await account.positions())[-1]
    await account.close_position(reduced.id, D("0.10"))
    pushed = {e.kind for e in broker.set_quotes({"XAUUSD": (D("2599"), D("2599.3"))}, START)}
    open_ids = {p.id for p in await account.positions()}
    polled = {
        e.kind
        for e in broker_events("acc-1", await account.history(START), open_positions=open_ids)
    }

    # a kind no source emits is dead code a consumer would wait on forever
    assert pushed | polled == set(EventKind)
