"""Edits and retries that once went wrong (found in review): each scenario must stay fixed."""

from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from flaky import FlakyBroker
from signal_copier.core.model import OrderRequest, OrderType, RawMessage, Side, Status
from signal_copier.core.quotas import period_key
from signal_copier.core.records import Plan
from signal_copier.services import accounts, control
from signal_copier.services.pipeline import handle_message
from world import World

TWO = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\n\nEURUSD SELL @ 1.0850\nSL 1.0880\nTP 1.0800"


async def test_editing_a_two_signal_message_moves_each_signals_own_sl(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(TWO, id=1)
    await world.say(
        TWO.replace("SL 2640", "SL 2645").replace("SL 1.0880", "SL 1.0870"), id=1, edited=True
    )
    assert {p.symbol: p.sl for p in await account.positions()} == {
        "XAUUSD": D("2645.00"),
        "EURUSD": D("1.08700"),
    }


async def test_an_edit_that_flips_the_side_leaves_the_trade_and_says_so(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2660\nTP1 2645\nTP2 2640", id=1, edited=True)
    assert (await world.last("alice")).result.reason == "signal_changed"
    assert {p.side for p in await account.positions()} == {Side.BUY}


async def test_an_edited_follow_up_is_not_run_twice(world: World) -> None:
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    await world.say("close half", id=2, reply_to=1)
    await world.say("Close half.", id=2, reply_to=1, edited=True)
    assert sum(p.volume for p in await account.positions()) == D("0.20")


async def test_a_signal_edited_to_cancelled_cancels_its_own_orders_not_the_latest(
    world: World,
) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    await world.say("EURUSD BUY LIMIT 1.0800\nSL 1.0770\nTP 1.0900", id=2)
    await world.say("Signal cancelled", id=1, edited=True)
    assert [o.symbol for o in await account.orders()] == ["EURUSD"]


async def test_a_signal_cancelled_by_an_edit_then_edited_back_finishes_in_any_order(
    world: World,
) -> None:
    # The cancel (about its own message) waited for the later edit, which waited for it.
    await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP1 2660\nTP2 2670", id=1)
    cancel = world.post("Signal cancelled", id=1, edited=True)
    await handle_message(cancel, world.deps, cancel.received)  # its intent waits in the queue

    await world.say("XAUUSD BUY LIMIT 2640\nSL 2632\nTP1 2660\nTP2 2670", id=1, edited=True)
    await world.settle()

    assert await world.store.due_parked(world.later(3600), 10) == []
    assert len(await world.records("alice")) == 3  # the opening, the cancel, the edit


async def test_an_annotation_on_a_refused_signal_does_not_open_it(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2660\nTP1 2655\nTP2 2670", id=1)
    await world.say(
        "XAUUSD BUY NOW @ 2650\nSL 2660\nTP1 2655\nTP2 2670\nSL HIT ❌", id=1, edited=True
    )
    assert await account.positions() == []


async def test_an_old_signal_first_seen_already_edited_is_stale(world: World) -> None:
    account = await world.add_user("alice")
    now = world.later(3 * 3600)
    message = RawMessage(
        chat_id="c1",
        message_id=7,
        text=GOLD_BUY.replace("SL 2640", "SL 2641"),
        date=now - timedelta(hours=3),
        edit_date=now - timedelta(seconds=30),
        received=now,
    )
    await world.pipeline.message(message, now)
    await world.settle()  # its original never arrives: after the wait it is judged alone
    assert (await world.last("alice")).result.reason == "stale_signal"
    assert await account.positions() == []


async def test_signal_then_chatter_then_signal_again_opens_once(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Wait, updating this signal...", id=1, edited=True)
    await world.say(GOLD_BUY.replace("SL 2640", "SL 2642"), id=1, edited=True)
    positions = await account.positions()
    assert len(positions) == 2 and {p.sl for p in positions} == {D("2642.00")}


async def test_an_older_edit_arriving_late_does_not_undo_a_newer_one(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    posted = world.now
    older, newer = posted + timedelta(seconds=5), posted + timedelta(seconds=9)
    for text, edited_at in (
        (GOLD_BUY.replace("SL 2640", "SL 2645"), newer),
        (GOLD_BUY.replace("SL 2640", "SL 2642"), older),
    ):
        message = RawMessage(
            chat_id="c1", message_id=1, text=text, date=posted, edit_date=edited_at, received=newer
        )
        await world.pipeline.message(message, world.later(1))
    assert {p.sl for p in await account.positions()} == {D("2645.00")}


async def test_sl_to_tp1_after_an_edit_uses_the_edited_tp1(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say(GOLD_BUY.replace("TP1 2655", "TP1 2652"), id=1, edited=True)
    await world.prices(XAUUSD=("2653", "2653.3"))
    await world.say("Move SL to TP1", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2652.00")}


async def test_retry_after_a_leg_timed_out_adopts_the_placed_leg_before_any_guard(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on={2}))
    account = await world.add_user("alice", lot="0.10", max_open_trades=1)
    await world.say(GOLD_BUY, id=1)
    record = await world.last("alice")
    assert record.result.status is Status.PLACED and len(record.result.fills) == 2
    await world.say("close all", id=2)
    assert await account.positions() == []


async def test_close_half_then_breakeven_survives_a_timeout_on_the_sl_step(tmp_path: Path) -> None:
    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, methods=("modify_position",), fail_on={1})
    )
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2652.00", "2652.30"))
    await world.say("close half and move sl to breakeven", id=2, reply_to=1)
    positions = await account.positions()
    assert sum(p.volume for p in positions) == D("0.20")
    assert all(p.sl == p.open_price for p in positions)


async def test_intents_that_die_without_trading_give_their_quota_back(tmp_path: Path) -> None:
    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on=range(1, 100)), max_attempts=2
    )
    await world.add_user("alice", plan=Plan.FREE, lot="0.10")
    for n in range(2):
        await world.say(GOLD_BUY, id=n + 1)
    assert (await world.store.usage("alice", period_key(world.now))).used == 0


async def test_kill_switch_never_touches_an_ea_whose_ids_merely_start_like_ours(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    ea_order = OrderRequest(
        client_id="scalper.1",
        symbol="EURUSD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        volume=D("1"),
    )
    await account.place(ea_order)  # the user's own EA tags its orders "scalper.N"
    await world.say(GOLD_BUY, id=1)
    await control.kill_switch(world.deps, "alice", world.now)
    assert [p.client_id for p in await account.positions()] == ["scalper.1"]


async def test_stop_pressed_while_an_order_is_in_flight_is_not_undone(world: World) -> None:
    await world.add_user("alice")
    await accounts.note_broker_failure(world.deps, "alice", world.now)
    read_by_the_intent = await world.store.get_user("alice")
    assert read_by_the_intent is not None
    await control.set_active(world.deps, "alice", False)  # the user presses Stop meanwhile
    await accounts.note_broker_success(world.deps, read_by_the_intent)
    user = await world.store.get_user("alice")
    assert user is not None and (user.active, user.broker_failures) == (False, 0)


async def test_a_quote_for_an_unknown_symbol_does_not_stop_the_run(world: World) -> None:
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(SPX500=("6000", "6001"), XAUUSD=("2655.5", "2655.8"))
    assert [(p.tp, p.sl) for p in await account.positions()] == [(D("2660.00"), D("2650.30"))]


async def test_an_original_delivered_after_its_edit_does_not_open_again(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    posted = world.later(1)
    edited = posted + timedelta(seconds=20)
    original = RawMessage(chat_id="c1", message_id=1, text=GOLD_BUY, date=posted, received=edited)
    edit = RawMessage(
        chat_id="c1",
        message_id=1,
        text=GOLD_BUY.replace("SL 2640", "SL 2642"),
        date=posted,
        edit_date=edited,
        received=edited,
    )
    await world.pipeline.message(edit, world.later(1))
    await world.pipeline.message(original, world.later(1))
    positions = await account.positions()
    assert len(positions) == 2 and {p.sl for p in positions} == {D("2642.00")}
