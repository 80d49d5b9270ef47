"""The paper broker's netting accounts and server clock, as issue 7's scenarios need them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.market import DealReason, MarginMode
from signal_copier.core.model import OrderRequest, OrderType, Side

D = Decimal
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@pytest.fixture
def broker() -> PaperBroker:
    return PaperBroker(now=START)


@pytest.fixture
def netting(broker: PaperBroker) -> PaperAccount:
    return broker.open_account("net-1", balance=D(10000), margin_mode=MarginMode.NETTING)


def _order(side: Side, volume: str, client_id: str, **levels: str) -> OrderRequest:
    return OrderRequest(
        client_id=client_id,
        symbol="XAUUSD",
        side=side,
        order_type=OrderType.MARKET,
        volume=D(volume),
        **{k: D(v) for k, v in levels.items()},
    )


async def test_a_netting_account_says_so_in_its_account_info(netting: PaperAccount) -> None:
    assert (await netting.account_info()).margin_mode is MarginMode.NETTING


async def test_a_hedging_account_is_the_default(broker: PaperBroker) -> None:
    account = broker.open_account("acc-1", balance=D(10000))
    await account.place(_order(Side.BUY, "0.10", "a.0"))
    await account.place(_order(Side.BUY, "0.10", "a.1"))
    assert (await account.account_info()).margin_mode is MarginMode.HEDGING
    assert len(await account.positions()) == 2


async def test_two_buys_on_a_netting_account_make_one_position_at_the_average_price(
    broker: PaperBroker, netting: PaperAccount
) -> None:
    first = await netting.place(_order(Side.BUY, "0.10", "a.0", sl="2640", tp="2655"))
    broker.set_quotes({"XAUUSD": (D("2652.00"), D("2652.30"))}, START + timedelta(minutes=1))
    second = await netting.place(_order(Side.BUY, "0.30", "a.1", tp="2660"))
    [position] = await netting.positions()
    assert second.position_id == first.position_id == position.id
    assert (position.volume, position.open_price) == (D("0.40"), D("2651.80"))
    assert (position.sl, position.tp, position.client_id) == (D("2640.00"), D("2660.00"), "a.0")


async def test_an_opposite_order_reduces_the_netted_position_and_books_the_profit(
    broker: PaperBroker, netting: PaperAccount
) -> None:
    await netting.place(_order(Side.BUY, "0.30", "a.0"))  # at 2650.30
    broker.set_quotes({"XAUUSD": (D("2651.30"), D("2651.60"))}, START + timedelta(minutes=1))
    await netting.place(_order(Side.SELL, "0.10", "b.0"))  # at 2651.30: +1.00 × 10 oz
    [position] = await netting.positions()
    assert (position.side, position.volume) == (Side.BUY, D("0.20"))
    assert (await netting.account_info()).balance == D("10010.00")
    deal = (await netting.history(START))[-1]
    assert (deal.reason, deal.client_id, deal.volume) == (DealReason.CLOSE, "b.0", D("0.10"))


async def test_a_larger_opposite_order_reverses_the_netted_position(
    netting: PaperAccount,
) -> None:
    await netting.place(_order(Side.BUY, "0.10", "a.0"))
    await netting.place(_order(Side.SELL, "0.30", "b.0", sl="2660"))
    [position] = await netting.positions()
    assert (position.side, position.volume, position.open_price) == (
        Side.SELL,
        D("0.20"),
        D("2650.00"),
    )
    assert position.sl == D("2660.00")


async def test_an_equal_opposite_order_closes_the_netted_position(netting: PaperAccount) -> None:
    await netting.place(_order(Side.BUY, "0.10", "a.0"))
    await netting.place(_order(Side.SELL, "0.10", "b.0"))
    assert await netting.positions() == []


async def test_a_pending_order_that_fills_on_a_netting_account_joins_the_position(
    broker: PaperBroker, netting: PaperAccount
) -> None:
    await netting.place(_order(Side.BUY, "0.10", "a.0"))
    limit = OrderRequest(
        client_id="b.0",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D("0.10"),
        price=D("2645"),
    )
    await netting.place(limit)
    broker.set_quotes({"XAUUSD": (D("2644.70"), D("2645.00"))}, START + timedelta(minutes=1))
    assert [p.volume for p in await netting.positions()] == [D("0.20")]


async def test_a_server_clock_behind_ours_stamps_deals_and_quotes_behind(
    broker: PaperBroker, netting: PaperAccount
) -> None:
    broker.clock_offset = timedelta(seconds=-2)
    await netting.place(_order(Side.BUY, "0.10", "a.0"))
    assert [d.time for d in await netting.history(START - timedelta(minutes=1))] == [
        START - timedelta(seconds=2)
    ]
    assert (await netting.quote("XAUUSD")).time == START - timedelta(seconds=2)
    assert await netting.history(START) == []
