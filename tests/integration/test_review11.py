"""Review round 11: edits of follow-ups, side-flipped signals and re-entry messages taken back.

Each test is a bug confirmed by running it (a strict xfail until its fix landed), now a
regression scenario.
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.core.model import Side
from world import World

GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660"
GOLD_SELL = "XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2640"


async def test_close_half_edited_into_close_all_closes_the_rest(world: World) -> None:
    # Arrange: a filled buy, half of it closed by a reply
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)

    # Act: the channel corrects its reply to close everything
    await world.say("Close all", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: nothing of the signal is left open
    assert await account.positions() == []


async def test_a_waiting_buy_limit_edited_into_a_sell_never_fills_as_a_buy(world: World) -> None:
    # Arrange: a buy limit waits below the price
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)

    # Act: the channel turns the unfilled signal into a sell, then price reaches the old entry
    await world.say("XAUUSD SELL LIMIT 2660\nSL 2670\nTP 2640", id=1, edited=True)
    await world.settle()
    await world.prices(XAUUSD=("2639.00", "2639.30"))

    # Assert: no buy was opened from the withdrawn side
    assert [p for p in await account.positions() if p.side is Side.BUY] == []


async def test_a_second_edit_of_a_side_flipped_signal_never_moves_the_kept_trades_levels(
    world: World,
) -> None:
    # Arrange: a buy filled at 2650.30; the channel flips the post into a sell (the buy is kept)
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.prices(XAUUSD=("2642.00", "2642.30"))

    # Act: the channel edits the sell's levels again
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2655\nTP 2645", id=1, edited=True)
    await world.settle()

    # Assert: the buy keeps the levels of the side it was opened on
    assert [(p.side, p.sl, p.tp) for p in await account.positions()] == [
        (Side.BUY, D("2640.00"), D("2660.00"))
    ]


async def test_deleting_a_reentry_message_cancels_its_waiting_order(world: World) -> None:
    # Arrange: a buy limit and its re-entry both wait below the price
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    await world.say("Buy limit again 2642", id=21, reply_to=20)

    # Act: the channel takes the re-entry back
    await world.delete(id=21)
    await world.settle()

    # Assert: only the signal's own order waits
    assert [o.price for o in await account.orders()] == [D("2640.00")]


async def test_a_reentry_edited_into_cancelled_cancels_its_waiting_order(world: World) -> None:
    # Arrange: a buy limit and its re-entry both wait below the price
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    await world.say("Buy limit again 2642", id=21, reply_to=20)

    # Act: the channel edits the re-entry into a cancel
    await world.say("Cancelled", id=21, reply_to=20, edited=True)
    await world.settle()

    # Assert: the re-entry's order is gone; the signal's own order was not named and waits
    assert [o.price for o in await account.orders()] == [D("2640.00")]
