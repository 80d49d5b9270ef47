"""Levels from follow-ups and edits pass the checks of an opening (issue 7: #2, #9, #11, #13)."""

from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from flaky import FlakyBroker
from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import Status
from world import World

TWO = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\n\nEURUSD SELL @ 1.0850\nSL 1.0880\nTP 1.0800"
THREE_TPS = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2670"


async def _tighten_by_hand(account: PaperAccount, sl: str) -> None:
    for position in await account.positions():
        await account.modify_position(position.id, sl=D(sl), tp=position.tp)


# 2 — levels are sanity-checked per position


async def test_move_sl_reply_to_a_two_signal_post_moves_only_the_symbol_it_fits(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(TWO, id=1)
    await world.say("Move SL to 2645", id=2, reply_to=1)
    assert {p.symbol: p.sl for p in await account.positions()} == {
        "XAUUSD": D("2645.00"),
        "EURUSD": D("1.08800"),
    }
    record = await world.last("alice")
    assert record.result.status is Status.APPLIED
    assert any("EURUSD" in n and "price_decimal_slip" in n for n in record.result.notes)


async def test_move_sl_a_power_of_ten_off_is_refused_as_a_decimal_slip(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 264.5", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2640.00")}
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "price_decimal_slip")


async def test_an_edit_to_an_off_scale_sl_is_not_applied(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say(GOLD_BUY.replace("SL 2640", "SL 264.0"), id=1, edited=True)
    assert {p.sl for p in await account.positions()} == {D("2640.00")}
    assert (await world.last("alice")).result.reason == "price_decimal_slip"


async def test_an_absurd_follow_up_level_is_refused_and_recorded_not_retried(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 1000000000000000000000000000000", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2640.00")}
    assert (await world.last("alice")).result.reason == "price_decimal_slip"
    assert world.queue.redelivered == 0


async def test_move_tp_below_a_buys_price_is_refused_as_wrong_side(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move TP to 2640", id=2, reply_to=1)
    assert sorted(p.tp for p in await account.positions()) == [D("2655.00"), D("2660.00")]
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "tp_wrong_side")


async def test_move_sl_above_a_buys_price_is_refused_as_wrong_side(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 2660", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2640.00")}
    assert (await world.last("alice")).result.reason == "sl_wrong_side"


async def test_move_sl_just_inside_the_stops_level_is_moved_out_and_noted(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say("Move SL to 2652.8", id=2, reply_to=1)  # stops level 0.50 below bid 2653
    assert {p.sl for p in await account.positions()} == {D("2652.50")}
    assert any("stops level" in n for n in (await world.last("alice")).result.notes)


# 9 — a follow-up never loosens a stop that protects more


async def test_move_sl_to_entry_keeps_a_runner_trailed_to_tp1(world: World) -> None:
    account = await world.add_user(
        "alice", lot="0.30", breakeven_on_tp1=True, trail_sl_to_previous_tp=True
    )
    await world.say(THREE_TPS, id=1)
    await world.prices(XAUUSD=("2655.50", "2655.80"))
    await world.prices(XAUUSD=("2660.50", "2660.80"))
    assert [p.sl for p in await account.positions()] == [D("2655.00")]
    await world.say("Move SL to entry", id=2, reply_to=1)
    assert [p.sl for p in await account.positions()] == [D("2655.00")]
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "stop_kept")


async def test_move_sl_to_entry_keeps_a_stop_the_user_tightened_by_hand(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2656.00", "2656.30"))
    await _tighten_by_hand(account, "2653")
    await world.say("Move SL to entry", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2653.00")}
    assert (await world.last("alice")).result.reason == "stop_kept"


async def test_sl_to_tp1_keeps_a_stop_already_beyond_tp1(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY.replace("TP2 2660", "TP2 2670"), id=1)
    await world.prices(XAUUSD=("2662.00", "2662.30"))
    await world.prices(XAUUSD=("2662.00", "2662.30"))
    await _tighten_by_hand(account, "2658")
    await world.say("SL to TP1", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2658.00")}


async def test_a_user_who_allows_it_lets_a_follow_up_loosen_the_stop(world: World) -> None:
    account = await world.add_user("alice", lot="0.20", allow_looser_sl=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2656.00", "2656.30"))
    await _tighten_by_hand(account, "2653")
    await world.say("Move SL to entry", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2650.30")}


async def test_an_edit_still_corrects_the_signals_own_stop(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say(GOLD_BUY.replace("SL 2640", "SL 2635"), id=1, edited=True)
    assert {p.sl for p in await account.positions()} == {D("2635.00")}


async def test_an_edit_does_not_undo_breakeven_set_after_tp1(world: World) -> None:
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.50", "2655.80"))
    await world.say(GOLD_BUY.replace("SL 2640", "SL 2638"), id=1, edited=True)
    assert [p.sl for p in await account.positions()] == [D("2650.30")]
    assert (await world.last("alice")).result.reason == "stop_kept"


# 11 — "close half" of legs at minimum volume closes whole legs


async def test_close_half_of_two_minimum_legs_closes_one_leg(world: World) -> None:
    account = await world.add_user("alice", lot="0.02")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    assert [(p.volume, p.tp) for p in await account.positions()] == [(D("0.01"), D("2660.00"))]


async def test_close_half_and_breakeven_of_minimum_legs_protects_the_leg_left(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.02")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say("close half and move sl to breakeven", id=2, reply_to=1)
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.01"), D("2650.30"))]


# 13 — a retry finds its own closes even when the broker's clock is behind ours


async def test_retried_close_half_with_the_broker_clock_behind_closes_half_once(
    tmp_path: Path,
) -> None:
    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, methods=("modify_position",), fail_on={1})
    )
    world.paper.clock_offset = timedelta(seconds=-2)
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2652.00", "2652.30"))
    await world.say("close half and move sl to breakeven", id=2, reply_to=1)
    positions = await account.positions()
    assert sum(p.volume for p in positions) == D("0.20")
    assert all(p.sl == p.open_price for p in positions)


async def test_retried_close_half_of_minimum_legs_does_not_close_the_other_leg(
    tmp_path: Path,
) -> None:
    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, methods=("modify_position",), fail_on={1})
    )
    world.paper.clock_offset = timedelta(seconds=-2)
    account = await world.add_user("alice", lot="0.02")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say("close half and move sl to breakeven", id=2, reply_to=1)
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.01"), D("2650.30"))]
