"""Follow-ups, edits and position management on the paper broker."""

from datetime import timedelta
from decimal import Decimal as D

from builders import GOLD_BUY
from signal_copier.core.model import Side, Status
from signal_copier.services import control
from world import World


async def test_close_half_reply_closes_half_of_each_position(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    assert sorted(p.volume for p in await account.positions()) == [D("0.05"), D("0.05")]


async def test_close_half_delivered_twice_closes_half_once(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    world.queue.duplicates = 2
    await world.say("Close half", id=2, reply_to=1)
    assert sorted(p.volume for p in await account.positions()) == [D("0.05"), D("0.05")]


async def test_move_sl_to_entry_after_price_moved_in_profit(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654", "2654.3"))
    await world.say("Move SL to entry", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2650.30")}


async def test_move_sl_to_entry_while_in_loss_is_refused_and_recorded(world: World) -> None:
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to entry", id=2, reply_to=1)  # entry 2650.30 is above the bid 2650
    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "sl_wrong_side")
    assert record.result.changes == ()


async def test_close_all_leaves_manual_trades_alone(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    manual = await account.open_manual("XAUUSD", Side.BUY, D("0.05"))
    await world.say(GOLD_BUY, id=1)
    await world.say("Close all", id=2)
    assert [p.id for p in await account.positions()] == [manual.id]


async def test_follow_up_without_reply_acts_on_the_latest_signal(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("EURUSD BUY NOW\nSL 1.0800\nTP 1.0900", id=2)
    await world.say("Close half", id=3)
    volumes = {p.symbol: p.volume for p in await account.positions() if p.symbol == "EURUSD"}
    assert volumes == {"EURUSD": D("0.05")}


async def test_cancel_reply_cancels_the_pending_order(world: World) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    assert len(await account.orders()) == 1
    await world.say("Cancel this order", id=2, reply_to=1)
    assert await account.orders() == []


async def test_edit_that_changes_sl_moves_the_sl_of_open_positions(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2645\nTP1 2655\nTP2 2660", id=1, edited=True)
    assert {p.sl for p in await account.positions()} == {D("2645.00")}


async def test_edit_that_turns_chatter_into_a_signal_opens_it(world: World) -> None:
    account = await world.add_user("alice", lot="0.02")
    await world.say("Gold setup coming soon, get ready", id=1)
    await world.say(GOLD_BUY, id=1, edited=True)
    assert len(await account.positions()) == 2


async def test_tp1_hit_moves_the_rest_to_breakeven(world: World) -> None:
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    positions = await account.positions()
    assert [(p.tp, p.sl) for p in positions] == [(D("2660.00"), D("2650.30"))]


async def test_kill_switch_closes_copier_trades_pauses_and_spares_manual_ones(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    manual = await account.open_manual("EURUSD", Side.SELL, D("0.10"))
    await world.say(GOLD_BUY, id=1)
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=2)
    report = await control.kill_switch(world.deps, "alice", world.now)
    assert len(report.changes) == 3 and report.complete
    assert [p.id for p in await account.positions()] == [manual.id] and await account.orders() == []
    await world.say(GOLD_BUY, id=3)
    assert (await world.last("alice")).result.reason == "kill_switch"
    await control.resume(world.deps, "alice")
    await world.say(GOLD_BUY, id=4)
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_edit_that_fixes_a_refused_signal_opens_the_corrected_one(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2660\nTP1 2655\nTP2 2660", id=1)
    assert (await world.last("alice")).result.reason == "sl_wrong_side"
    await world.say(GOLD_BUY, id=1, edited=True)
    assert {p.sl for p in await account.positions()} == {D("2640.00")}
    await world.say("Close all", id=2, reply_to=1)
    assert await account.positions() == []


async def test_edit_of_a_signal_refused_as_stale_does_not_open(world: World) -> None:
    account = await world.add_user("alice", max_signal_age_s=60)
    world.later(600)
    await world.say(GOLD_BUY, id=1, date=world.now - timedelta(minutes=9))
    await world.say(GOLD_BUY.replace("SL 2640", "SL 2641"), id=1, edited=True)
    assert (await world.last("alice")).result.reason == "not_executed"
    assert await account.positions() == []
