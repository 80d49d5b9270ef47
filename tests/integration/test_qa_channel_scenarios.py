"""Replayed-channel QA: what a trader copying by hand would have done, where the copier did not."""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.core.model import Status
from world import World

NAS_NO_SL = "NAS100 BUY NOW 18250\nTP1 18320\nTP2 18400"


async def test_an_sl_reply_naming_the_trade_moves_its_stop_and_opens_nothing(
    world: World,
) -> None:
    account = await world.add_user(
        "bob", risk_mode="risk_percent", no_sl="default_sl", default_sl_pips="40"
    )
    await world.prices(NAS100=("18250.00", "18251.50"))
    await world.say(NAS_NO_SL, id=1)

    await world.say("SL 18220 for the NAS buy", id=2, reply_to=1)

    positions = await account.positions()
    assert len(positions) == 2  # the signal's two legs, no third position
    assert {p.sl for p in positions} == {D("18220.00")}


async def test_a_tp_reply_naming_the_trade_changes_its_target_and_opens_nothing(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2045.00", "2045.30"))
    await world.say("XAUUSD SELL 2045\nSL 2050\nTP 2040", id=1)

    await world.say("TP 2038 for the gold sell", id=2, reply_to=1)

    (position,) = await account.positions()
    assert position.tp == D("2038.00")


async def test_close_all_under_a_news_warning_closes_everything(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say("EURUSD BUY NOW 1.0850 SL 1.0820 TP 1.0890", id=1)
    await world.say("GBPUSD SELL LIMIT 1.2760 SL 1.2790 TP 1.2700", id=2)

    await world.say("⚠️ NFP in 10 minutes — CLOSE ALL trades now and cancel pending orders", id=3)

    assert await account.positions() == []
    assert await account.orders() == []
    assert (await world.last("alice")).result.status is Status.APPLIED


SOL_CARD = (
    "COIN: $SOL/USDT\nDirection: LONG\nENTRY: 132 - 134\nTARGETS: 138 - 142 - 150\n"
    "STOP LOSS: 128\nLeverage: Cross 10x"
)


async def test_a_usdt_futures_card_waits_on_the_brokers_usd_market_until_cancelled(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(SOLUSD=("140.00", "140.12"))
    await world.say(SOL_CARD, id=1)
    placed = await account.orders()

    await world.say("#SOL/USDT Cancelled ❌ target reached before entry", id=2)

    assert {(o.symbol, o.price) for o in placed} == {("SOLUSD", D("134.00"))}
    assert sum(o.volume for o in placed) == D("0.10")
    assert await account.orders() == [] and await account.positions() == []


async def test_a_close_half_of_a_usdt_pair_halves_the_usd_position(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(BTCUSD=("64000.00", "64015.00"))
    await world.say(
        "🚀 COMPRA BTC/USDT\nEntrada: 64000\nAlvo 1: 65000\nAlvo 2: 66000\nStop: 63000", id=1
    )

    await world.prices(BTCUSD=("64800.00", "64815.00"))
    await world.say("Realize 50% e mova o stop para o ponto de entrada", id=2, reply_to=1)

    (position,) = await account.positions()
    assert (position.symbol, position.volume, position.tp) == ("BTCUSD", D("0.05"), D("66000.00"))
    assert position.sl == position.open_price


async def test_a_turkish_gold_sell_in_capitals_is_copied_and_closed(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2650.00", "2650.30"))
    await world.say("XAUUSD SATIŞ 2650\nSL 2660\nTP 2640", id=1)
    opened = await account.positions()

    await world.say("ALTIN KAPAT", id=2)

    assert [(p.symbol, p.side, p.volume) for p in opened] == [("XAUUSD", "sell", D("0.10"))]
    assert await account.positions() == []


async def test_a_remark_on_the_gold_buy_never_opens_another_gold_buy(world: World) -> None:
    account = await world.add_user(
        "bob", risk_mode="risk_percent", no_sl="default_sl", default_sl_pips="40"
    )
    await world.prices(XAUUSD=("2100.00", "2100.30"))
    await world.say("XAUUSD BUY 2100 SL 2094 TP 2112", id=1)

    await world.say("Take profit on the gold buy now", id=2)

    assert len(await account.positions()) == 1
