"""Round 10 of the hostile review: follow-ups that act on the wrong trade, and the money paths
around them.

Each test is a scenario in which a trader lost money (or a trade, or protection) before its fix.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from signal_copier.core.model import Side
from signal_copier.core.reasons import Reason
from world import World

GOLD_SELL = "XAUUSD SELL NOW\nSL 2660\nTP 2640"
GOLD_BUY = "XAUUSD BUY NOW\nSL 2640\nTP 2660"


@pytest.mark.parametrize(
    "text",
    ["Gold: sell now, close buy", "Gold sell now and close the buy", "Sell gold, close buy gold"],
)
async def test_a_close_naming_both_sides_never_closes_the_side_it_did_not_close(
    world: World, text: str
) -> None:
    # Arrange: a hedging account holds the channel's gold sell and its later gold buy
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_SELL, id=1)
    await world.say(GOLD_BUY, id=2)

    # Act: the channel names both sides; the first side word is not the one it closes
    await world.say(text, id=3)
    await world.settle()
    await world.queue.drain()

    # Assert: which side it closes is unclear, so neither is closed (never the sell alone)
    assert sorted(p.side for p in await account.positions()) == [Side.BUY, Side.SELL]


@pytest.mark.parametrize(
    "text",
    ["Move SL from 2640 to 2645", "SL moved from 2640 to 2645", "Change SL 2640 to 2645"],
)
async def test_a_stop_moved_from_its_old_level_to_a_new_one_goes_to_the_new_one(
    world: World, text: str
) -> None:
    # Arrange: the trader's gold buy has the signal's stop, 2640
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)

    # Act: the channel tightens the stop, naming the level it replaces first
    await world.say(text, id=2, reply_to=1)
    await world.settle()
    await world.queue.drain()

    # Assert: the stop is where the channel put it, not left at the old level
    assert [p.sl for p in await account.positions()] == [D("2645")]


@pytest.mark.parametrize(
    ("text", "tp"),
    [("Move TP from 2660 to 2655", "2655"), ("TP moved from 2660 to 2670", "2670")],
)
async def test_a_target_moved_from_its_old_level_to_a_new_one_goes_to_the_new_one(
    world: World, text: str, tp: str
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say(text, id=2, reply_to=1)
    await world.settle()
    await world.queue.drain()

    # Assert
    assert [p.tp for p in await account.positions()] == [D(tp)]


@pytest.mark.parametrize(
    ("text", "left"), [("Close 1 of 2", "0.10"), ("Close 3 of 4 positions", "0.05")]
)
async def test_closing_some_of_the_positions_keeps_the_others_volume(
    world: World, text: str, left: str
) -> None:
    # Arrange: a gold buy of 0.20 lots
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2665\nTP4 2670", id=1)

    # Act: the channel closes some of its positions and lets the others run
    await world.say(text, id=2, reply_to=1)
    await world.settle()
    await world.queue.drain()

    # Assert: what it keeps running is still open, not closed with the rest
    assert sum(p.volume for p in await account.positions()) == D(left)


@pytest.mark.parametrize("text", ["Close right now", "CLOSE RIGHT NOW", "Close gold right away"])
async def test_close_right_now_closes_the_trade(world: World, text: str) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)

    # Act: the channel's most urgent close
    await world.say(text, id=2, reply_to=1)
    await world.settle()
    await world.queue.drain()

    # Assert: it was read as the close it is, not as chatter that left the trade open
    assert await account.positions() == []


async def test_a_call_whose_price_already_passed_its_target_leaves_no_order_to_fill_later(
    world: World,
) -> None:
    # Arrange: gold has run from the call's 2650 through its 2655 target before it is copied
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2660.00", "2660.30"))

    # Act: the call to buy now arrives, then gold pulls back through 2650
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2655", id=1)
    await world.prices(XAUUSD=("2649.00", "2649.30"))
    await world.settle()

    # Assert: no limit waited for the pull-back to buy a move that was over
    assert await account.positions() == []
    assert await account.orders() == []


async def test_a_signal_right_after_the_only_open_trade_closed_is_copied(world: World) -> None:
    # Arrange: one open trade at most; the channel's gold buy opens and is closed again
    account = await world.add_user("alice", lot="0.10", max_open_trades=1)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close now", id=2, reply_to=1)
    assert await account.positions() == []

    # Act: its next call comes half a minute later
    world.later(30)
    await world.say("EURUSD BUY NOW\nSL 1.0800\nTP 1.0900", id=3)
    await world.settle()
    await world.queue.drain()

    # Assert: with no trade open, the new call is copied (not refused as max_open_trades)
    assert (await world.last("alice")).result.reason is not Reason.MAX_OPEN_TRADES
    assert [p.symbol for p in await account.positions()] == ["EURUSD"]


async def test_a_waiting_entry_of_a_call_whose_target_was_reached_never_fills_later(
    world: World,
) -> None:
    # Arrange: gold ran 10 from the call's entry, so its buy waits as a limit at 2650
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2660.00", "2660.30"))
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2670", id=1)
    assert [o.price for o in await account.orders()] == [D("2650")]

    # Act: gold reaches the target (the channel's trade is over), then pulls back through 2650
    await world.prices(XAUUSD=("2671.00", "2671.30"))
    await world.settle()
    await world.prices(XAUUSD=("2649.00", "2649.30"))
    await world.settle()

    # Assert: the pull-back bought nothing
    assert await account.positions() == []


@pytest.mark.parametrize(
    ("call", "start", "beyond", "tp"),
    [
        ("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2670", "2660.00", "2671.00", "2670"),
        ("XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2630", "2640.00", "2629.00", "2630"),
    ],
)
async def test_a_waiting_entry_cancelled_at_its_target_is_recorded_with_why(
    world: World, call: str, start: str, beyond: str, tp: str
) -> None:
    # Arrange: the call's entry waits as a limit (the price ran 10 from it)
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=(start, str(D(start) + D("0.30"))))
    await world.say(call, id=1)

    # Act: the price reaches the call's target while the entry waits
    await world.prices(XAUUSD=(beyond, str(D(beyond) + D("0.30"))))
    await world.settle()

    # Assert: the entry is gone, and the trader is told why
    cancelled = await world.last("alice")
    assert await account.orders() == []
    assert cancelled.result.reason is Reason.TARGET_REACHED
    assert f"TP1 {tp}" in cancelled.result.detail


async def test_a_waiting_entry_whose_target_is_not_reached_still_fills_on_the_pull_back(
    world: World,
) -> None:
    # Arrange: the call's buy waits as a limit at 2650; gold rises, but not to its 2670 target
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2660.00", "2660.30"))
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2670", id=1)
    await world.prices(XAUUSD=("2668.00", "2668.30"))
    await world.settle()
    await world.settle()

    # Act: the pull-back the limit waited for
    await world.prices(XAUUSD=("2649.00", "2649.30"))
    await world.settle()

    # Assert: the trade the channel called was bought
    assert [(p.symbol, p.side) for p in await account.positions()] == [("XAUUSD", Side.BUY)]


async def test_a_limit_order_call_keeps_waiting_after_its_target_is_reached(world: World) -> None:
    # Arrange: the channel asked for a limit: it is meant to wait wherever the price goes
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2660.00", "2660.30"))
    await world.say("XAUUSD BUY LIMIT 2650\nSL 2640\nTP 2670", id=1)

    # Act
    await world.prices(XAUUSD=("2671.00", "2671.30"))
    await world.settle()

    # Assert: the channel cancels its own limit orders; the copier leaves it be
    assert [o.price for o in await account.orders()] == [D("2650")]


async def test_a_waiting_entry_is_watched_for_its_target_only_for_a_while(world: World) -> None:
    # Arrange: the call's buy waits as a limit at 2650; nothing happens for longer than the watch
    account = await world.add_user("alice", lot="0.10")
    await world.prices(XAUUSD=("2660.00", "2660.30"))
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2670", id=1)
    assert (await world.last("alice")).due_at is not None
    await world.settle(4 * 3600 + 60)

    # Act: the target is reached only after the watch ended
    await world.prices(XAUUSD=("2671.00", "2671.30"))
    await world.settle()

    # Assert: no sweep looks at it any more (a watch without end made every sweep look at every
    # entry that ever waited); the limit waits as any other, until its expiry if the user set one
    assert (await world.last("alice")).due_at is None
    assert [o.price for o in await account.orders()] == [D("2650")]
