"""One account through the adapter: what reaches the SDK, and what comes back as domain values."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

import pytest
from metaapi_cloud_sdk.clients.error_handler import NotFoundException
from metaapi_cloud_sdk.clients.metaapi.trade_exception import TradeException

from fakes.rig import Rig, make_rig
from signal_copier.broker.metaapi import Limits
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, UnknownSymbol
from signal_copier.core.market import DealReason, MarginMode
from signal_copier.core.model import OrderRequest, OrderType, Side

CID = "sc0123456789abcdef01"


def _order(leg: int = 0, **fields: object) -> OrderRequest:
    base: dict[str, object] = {
        "client_id": f"{CID}.{leg}",
        "symbol": "XAUUSD",
        "side": Side.BUY,
        "order_type": OrderType.MARKET,
        "volume": D("0.10"),
        "sl": D("2640"),
        "tp": D("2660"),
        "leg": leg,
    }
    return OrderRequest(**{**base, **fields})  # type: ignore[arg-type]


async def test_a_market_order_goes_out_as_floats_with_its_client_id_and_no_comment(
    rig: Rig,
) -> None:
    account = await rig.account()
    await account.symbol_spec("XAUUSD")
    fill = await account.place(_order(sl=D("2640.004"), tp=D("2659.996")))
    (sent,) = rig.server.trades
    assert sent == {
        "actionType": "ORDER_TYPE_BUY",
        "symbol": "XAUUSD",
        "volume": 0.1,
        "stopLoss": 2640.0,
        "takeProfit": 2660.0,
        "clientId": f"{CID}.0",
    }
    assert all(type(v) is float for k, v in sent.items() if k in ("volume", "stopLoss"))
    (position,) = await account.positions()
    assert (fill.position_id, fill.order_id, fill.pending) == (position.id, position.id, False)
    assert (fill.volume, fill.price, fill.client_id) == (D("0.10"), None, f"{CID}.0")
    assert (position.client_id, position.sl, position.tp) == (
        f"{CID}.0",
        D("2640.00"),
        D("2660.00"),
    )


async def test_prices_are_rounded_to_digits_even_without_a_spec_read_first(rig: Rig) -> None:
    account = await rig.account()
    await account.place(_order(order_type=OrderType.LIMIT, price=D("2640.126"), sl=D("2630")))
    assert rig.server.trades[0]["openPrice"] == 2640.13
    assert rig.server.count("get_symbol_specification") == 1


async def test_a_limit_order_waits_as_a_pending_fill(rig: Rig) -> None:
    account = await rig.account()
    fill = await account.place(_order(order_type=OrderType.LIMIT, price=D("2640"), sl=D("2630")))
    (order,) = await account.orders()
    assert (fill.pending, fill.position_id, fill.order_id, fill.price) == (
        True,
        None,
        order.id,
        D("2640.00"),
    )
    assert (order.order_type, order.side, order.client_id) == (
        OrderType.LIMIT,
        Side.BUY,
        f"{CID}.0",
    )
    assert rig.server.trades[0]["actionType"] == "ORDER_TYPE_BUY_LIMIT"


async def test_a_partial_fill_reports_the_volume_that_filled(rig: Rig) -> None:
    account = await rig.account()
    rig.server.partial_fill = D("0.04")
    fill = await account.place(_order())
    assert fill.volume == D("0.04")


async def test_a_client_id_too_long_for_metaapi_is_refused_before_sending(rig: Rig) -> None:
    account = await rig.account()
    with pytest.raises(BrokerRejected, match="26"):
        await account.place(_order(client_id="sc" + "0" * 30 + ".0"))
    assert rig.server.trades == []


async def test_a_refusal_is_a_rejection_with_the_brokers_reason(rig: Rig) -> None:
    account = await rig.account()
    with pytest.raises(BrokerRejected) as refused:
        await account.place(_order(sl=D("2649.9")))  # inside the 50-point stops level
    assert refused.value.reason == "invalid_stops"


async def test_moving_the_sl_sends_both_levels_so_the_tp_stays(rig: Rig) -> None:
    account = await rig.account()
    await account.place(_order())
    (position,) = await account.positions()
    await account.modify_position(position.id, sl=D("2645"), tp=position.tp)
    assert rig.server.trades[-1] == {
        "actionType": "POSITION_MODIFY",
        "positionId": position.id,
        "stopLoss": 2645.0,
        "takeProfit": 2660.0,
    }
    (moved,) = await account.positions()
    assert (moved.sl, moved.tp) == (D("2645.00"), D("2660.00"))


async def test_none_removes_a_level_as_the_port_says_not_leaves_it(rig: Rig) -> None:
    account = await rig.account()
    await account.place(_order())
    (position,) = await account.positions()
    await account.modify_position(position.id, sl=position.sl, tp=None)
    assert rig.server.trades[-1]["takeProfit"] == 0.0
    (changed,) = await account.positions()
    assert (changed.sl, changed.tp) == (D("2640.00"), None)


async def test_modify_and_cancel_a_pending_order(rig: Rig) -> None:
    account = await rig.account()
    await account.place(_order(order_type=OrderType.LIMIT, price=D("2640"), sl=D("2630")))
    (order,) = await account.orders()
    await account.modify_order(order.id, price=D("2641.004"), sl=None, tp=D("2665"))
    (changed,) = await account.orders()
    assert (changed.price, changed.sl, changed.tp) == (D("2641.00"), None, D("2665.00"))
    await account.cancel_order(order.id)
    assert await account.orders() == []


async def test_a_trades_legs_are_its_own_positions_and_orders_read_in_one_go(rig: Rig) -> None:
    # Arrange: two legs of our trade (a position, a pending order), and another trade's leg
    account = await rig.account()
    other = "sc99999999999999999a"
    await account.place(_order(leg=0))
    await account.place(_order(leg=1, order_type=OrderType.LIMIT, price=D("2640"), sl=D("2630")))
    await account.place(_order(leg=0, client_id=f"{other}.0"))

    # Act
    positions, orders = await account.legs_of([CID])

    # Assert: only our legs, each list read once
    assert [p.client_id for p in positions] == [f"{CID}.0"]
    assert [o.client_id for o in orders] == [f"{CID}.1"]
    assert (rig.server.count("get_positions"), rig.server.count("get_orders")) == (1, 1)
    assert await account.legs_of([]) == ([], [])


async def test_close_part_then_all_of_a_position(rig: Rig) -> None:
    account = await rig.account()
    await account.place(_order(volume=D("0.30")))
    (position,) = await account.positions()
    await account.close_position(position.id, D("0.10"))
    assert [p.volume for p in await account.positions()] == [D("0.2")]
    await account.close_position(position.id)
    assert await account.positions() == []
    assert [t["actionType"] for t in rig.server.trades[1:]] == [
        "POSITION_PARTIAL",
        "POSITION_CLOSE_ID",
    ]


async def test_closing_a_position_that_is_gone_is_not_found(rig: Rig) -> None:
    account = await rig.account()
    with pytest.raises(BrokerRejected) as refused:
        await account.close_position("999")
    assert refused.value.reason == "not_found"


async def test_history_reads_every_page_and_keeps_client_ids_on_closing_deals() -> None:
    rig = make_rig(Limits(read=0.1, trade=0.1, connect=0.1, close_grace=0, history_page=2))
    account = await rig.account()
    for leg in range(2):
        await account.place(_order(leg))
    positions = await account.positions()
    await account.close_position(positions[0].id)
    deals = await account.history(rig.paper.now - timedelta(minutes=1))
    assert [d.reason for d in deals] == [DealReason.OPEN, DealReason.OPEN, DealReason.CLOSE]
    assert deals[2].client_id == positions[0].client_id  # the broker dropped it; its IN deal has it
    assert (
        rig.server.count("get_deals_by_time_range") == 2
    )  # pages of 2: 2 + 1 (the balance deal skipped)


async def test_a_tp_hit_of_a_position_opened_before_the_range_gets_its_opening_client_id(
    rig: Rig,
) -> None:
    # Arrange: leg 0 opened long ago, a follow-up closed part of it with its own close tag,
    # then its TP was hit: the TP deal carries the broker's comment, not a clientId
    account = await rig.account()
    await account.place(_order(0, tp=D("2655")))
    (position,) = await account.positions()
    rig.paper.advance(rig.paper.now + timedelta(hours=3))
    await account.close_position(position.id, D("0.05"), client_id=f"{CID}.c")
    rig.paper.set_quotes({"XAUUSD": (D("2655.5"), D("2655.8"))}, rig.paper.now)

    # Act
    deals = await account.history(rig.paper.now - timedelta(minutes=1))

    # Assert: one extra read, for that position alone; the close keeps its own tag
    assert [(d.reason, d.client_id) for d in deals] == [
        (DealReason.CLOSE, f"{CID}.c"),
        (DealReason.TP, f"{CID}.0"),
    ]
    assert rig.server.count("get_deals_by_position") == 1


async def test_history_still_synchronizing_is_unavailable_not_partial(rig: Rig) -> None:
    account = await rig.account()
    rig.server.synchronizing = True
    with pytest.raises(BrokerUnavailable, match="synchronizing"):
        await account.history(rig.paper.now)


async def test_a_quote_is_always_read_fresh_and_carries_its_tick_value(rig: Rig) -> None:
    account = await rig.account()
    spec = await account.symbol_spec("XAUUSD")
    quote = await account.quote("XAUUSD")
    await account.quote("XAUUSD")
    assert rig.server.count("get_symbol_price") == 3  # guards judge levels on a fresh price
    assert (spec.pip, quote.bid, quote.ask) == (D("0.1"), D("2650.00"), D("2650.30"))
    assert quote.tick_value == spec.tick_value


async def test_a_price_read_a_moment_ago_serves_the_specs_tick_value(rig: Rig) -> None:
    account = await rig.account()
    await account.quote("XAUUSD")
    await account.symbol_spec("XAUUSD")
    assert rig.server.count("get_symbol_price") == 1
    rig.wait(1.5)
    await account.symbol_spec("XAUUSD")
    assert rig.server.count("get_symbol_price") == 2


async def test_symbols_and_static_specs_are_read_once_per_catalog_period(rig: Rig) -> None:
    account = await rig.account()
    for _ in range(3):
        assert "XAUUSD" in await account.symbols()
        await account.symbol_spec("XAUUSD")
        rig.wait(2)
    assert (rig.server.count("get_symbols"), rig.server.count("get_symbol_specification")) == (1, 1)
    rig.wait(600)
    await account.symbols()
    assert rig.server.count("get_symbols") == 2


async def test_a_spec_and_its_price_are_asked_for_at_once_and_the_specs_error_wins(
    rig: Rig,
) -> None:
    account = await rig.account()
    rig.server.hang("get_symbol_specification")  # the spec never answers: its read times out
    rig.server.fail("get_symbol_price", NotFoundException("Symbol XAUUSD not found"))

    with pytest.raises(BrokerUnavailable):  # not the price's UnknownSymbol, which came first
        await account.symbol_spec("XAUUSD")

    assert rig.server.calls[-2:] == ["get_symbol_specification", "get_symbol_price"]


async def test_an_unknown_symbol_is_unknown_symbol(rig: Rig) -> None:
    account = await rig.account()
    with pytest.raises(UnknownSymbol):
        await account.symbol_spec("NOPE")


async def test_account_info_carries_the_margin_mode(rig: Rig) -> None:
    rig.server.margin_mode = "ACCOUNT_MARGIN_MODE_RETAIL_NETTING"
    info = await (await rig.account()).account_info()
    assert (info.balance, info.currency, info.margin_mode) == (
        D("10000.0"),
        "USD",
        MarginMode.NETTING,
    )


async def test_a_trade_that_never_answers_is_an_unknown_outcome(rig: Rig) -> None:
    account = await rig.account()
    rig.server.hang("trade")
    with pytest.raises(BrokerUnavailable, match="reconciled by clientId"):
        await account.place(_order())
    assert rig.server.count("trade") == 1  # sent once, never again by the adapter


async def test_a_timeout_code_after_the_broker_acted_is_unavailable_and_not_resent(
    rig: Rig,
) -> None:
    account = await rig.account()
    timeout = TradeException("Request timed out", 10012, "TRADE_RETCODE_TIMEOUT")
    rig.server.fail("trade", timeout, after=True)
    with pytest.raises(BrokerUnavailable):
        await account.place(_order())
    assert len(await account.positions()) == 1 and rig.server.count("trade") == 1


async def test_a_connection_closed_under_us_raises_at_call_time_and_is_replaced(rig: Rig) -> None:
    account = await rig.account()
    await rig.sdk.connections[0].close()
    with pytest.raises(BrokerUnavailable, match="closed"):
        await account.positions()
    assert rig.server.calls.count("get_positions") == 0  # the SDK raised before any request
    fresh = await rig.account()
    assert fresh is not account and await fresh.positions() == []
