"""Openings judged as the broker will judge them (issue 7: #10, #12, #13, netting accounts)."""

from datetime import timedelta
from decimal import Decimal as D

from builders import GOLD_BUY, make_intent
from signal_copier.broker.paper import PaperAccount
from signal_copier.core import ids
from signal_copier.core.market import Credentials, MarginMode
from signal_copier.core.model import OrderRequest, OrderType, Side, Status
from signal_copier.services import accounts, placing
from world import World

BUY_STOP = "EURUSD BUY STOP 1.0900\nSL 1.0870\nTP 1.0950"
LIMIT_AT_THE_PRICE = "XAUUSD BUY LIMIT 2650\nSL 2640\nTP 2660"  # ask 2650.30, stops level 0.50


async def _netting_user(world: World, user_id: str, **settings: object) -> PaperAccount:
    await world.add_user(user_id, connect=False, **settings)
    account_id = f"net-{user_id}"
    account = world.paper.open_account(account_id, balance=D(10000), margin_mode=MarginMode.NETTING)
    world.pipeline.add_owner(account_id, user_id)
    await accounts.save_credentials(
        world.deps, user_id, Credentials(account_id=account_id, token="t0ken-" + user_id)
    )
    return account


# 10 — a pending entry's SL is judged against the entry, not the market


async def test_buy_stop_with_sl_between_market_and_entry_is_placed(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(EURUSD=("1.08500", "1.08508"))
    await world.say(BUY_STOP, id=1)
    assert [(o.order_type, o.price, o.sl) for o in await account.orders()] == [
        (OrderType.STOP, D("1.09000"), D("1.08700"))
    ]


async def test_sell_stop_with_sl_between_market_and_entry_is_placed(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD SELL STOP 2640\nSL 2645\nTP 2630", id=1)  # bid 2650
    assert [(o.order_type, o.price, o.sl) for o in await account.orders()] == [
        (OrderType.STOP, D("2640.00"), D("2645.00"))
    ]


async def test_market_entry_with_sl_beyond_the_price_is_still_refused(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2639.00", "2639.30"))
    await world.say(GOLD_BUY, id=1)  # SL 2640 is above the bid
    assert await account.positions() == [] and await account.orders() == []
    assert (await world.last("alice")).result.reason == "sl_wrong_side"


# 12 — the broker's stops level is read when planning


async def test_limit_entry_inside_the_stops_level_is_taken_at_market(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT_AT_THE_PRICE, id=1)
    assert await account.orders() == []
    assert [p.open_price for p in await account.positions()] == [D("2650.30")]
    record = await world.last("alice")
    assert record.result.status is Status.PLACED
    assert any("stops level" in note for note in record.result.notes)


async def test_limit_entry_inside_the_stops_level_can_be_moved_to_the_nearest_price(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10", near_entry="move")
    await world.say(LIMIT_AT_THE_PRICE, id=1)
    assert [(o.order_type, o.price) for o in await account.orders()] == [
        (OrderType.LIMIT, D("2649.80"))
    ]


async def test_sl_and_tp_inside_the_stops_level_are_moved_out_and_noted(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW\nSL 2649.8\nTP1 2650.4\nTP2 2660", id=1)  # bid 2650.00
    positions = await account.positions()
    assert [(p.sl, p.tp) for p in positions] == [
        (D("2649.50"), D("2650.50")),
        (D("2649.50"), D("2660.00")),
    ]
    notes = (await world.last("alice")).result.notes
    assert sum("stops level" in note for note in notes) == 2


# Netting accounts book one position per symbol


async def test_a_netting_account_refuses_openings_by_default(world: World) -> None:
    account = await _netting_user(world, "alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "netting_account")


async def test_a_netting_account_set_to_single_opens_one_position_at_the_first_tp(
    world: World,
) -> None:
    account = await _netting_user(world, "alice", lot="0.20", netting="single")
    await world.say(GOLD_BUY, id=1)
    assert [(p.volume, p.tp) for p in await account.positions()] == [(D("0.20"), D("2655.00"))]


async def test_a_netting_account_can_take_the_tp_of_a_chosen_index(world: World) -> None:
    account = await _netting_user(world, "alice", lot="0.20", netting="single", netting_tp=2)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    assert [(p.volume, p.tp) for p in await account.positions()] == [(D("0.10"), D("2660.00"))]


async def test_a_netting_account_never_opens_into_a_position_on_the_same_symbol(
    world: World,
) -> None:
    account = await _netting_user(world, "alice", lot="0.20", netting="single")
    manual = await account.open_manual("XAUUSD", Side.SELL, D("0.50"))
    await world.say(GOLD_BUY, id=1)
    assert [(p.id, p.side, p.volume) for p in await account.positions()] == [
        (manual.id, Side.SELL, D("0.50"))
    ]
    assert (await world.last("alice")).result.reason == "netting_account"


# 13 — what an earlier attempt placed is found even with the broker's clock behind ours


async def test_a_leg_placed_and_closed_since_is_found_with_the_broker_clock_behind(
    world: World,
) -> None:
    account = await world.add_user("alice")
    world.paper.clock_offset = timedelta(seconds=-2)
    intent = make_intent(id="f" * 32, received=world.later(1))
    world.paper.advance(world.now)
    leg = OrderRequest(
        client_id=ids.leg_client_id(intent.client_id, 0),
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        volume=D("0.01"),
    )
    fill = await account.place(leg)
    assert fill.position_id is not None
    await account.close_position(fill.position_id)  # e.g. its SL was hit before the retry
    assert list(await placing.placed_before(account, intent)) == [leg.client_id]
