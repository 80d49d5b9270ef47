"""A close sized in the channel's own lots, under a signal that says the channel's lot size.

"Lot: 1.00" then "Close 0.3 lots": the channel took 30 % of its trade off, so the user's close
is 30 % of what they opened for the signal (rounded to the broker's step), however much an
earlier partial took and however often the close is delivered. Without the channel's lot
size, the close stays a half (documented: lots of unknown size).
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.core.model import ChangeKind
from world import World

EURUSD = "EURUSD BUY 1.0850\nSL 1.0820\nTP 1.0910"
GOLD = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"


async def _volumes(account: object) -> list[D]:
    return sorted(p.volume for p in await account.positions())  # type: ignore[attr-defined]


async def test_close_0_3_lots_of_a_1_lot_signal_closes_30_percent_then_the_rest_closes_all(
    world: World,
) -> None:
    # Arrange: the channel trades 1.00 lot; alice 0.10
    account = await world.add_user("alice", lot="0.10")
    await world.say(EURUSD + "\nLot: 1.00", id=90)

    # Act
    await world.say("Close 0.3 lots ✅ let 0.7 run 🏃", id=91, reply_to=90)
    await world.settle()
    after_part = await _volumes(account)
    await world.say("Close the remaining 0.7 lots, done for today", id=92, reply_to=90)
    await world.settle()

    # Assert
    assert after_part == [D("0.07")]
    assert await account.positions() == []


async def test_close_0_5_lots_of_a_1_lot_signal_takes_half_of_all_its_legs(world: World) -> None:
    # Arrange: two legs of 0.10
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD + "\nLot: 1.00", id=1)

    # Act
    await world.say("Close 0.5 lots now", id=2, reply_to=1)
    await world.settle()

    # Assert: 0.10 of the 0.20 opened is closed
    assert sum(await _volumes(account)) == D("0.10")


async def test_close_lots_after_a_half_takes_its_share_of_the_opening_not_of_what_is_left(
    world: World,
) -> None:
    # Arrange: 0.20 opened over two legs; "close half" left 0.10
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD + "\nLot: 2.00", id=1)
    await world.say("Close half", id=2, reply_to=1)
    await world.settle()

    # Act: 0.6 of the channel's 2.00 lots is 30 % of the 0.20 opened: 0.06
    await world.say("Close 0.6 lots", id=3, reply_to=1)
    await world.settle()

    # Assert
    assert sum(await _volumes(account)) == D("0.04")


async def test_a_close_in_lots_delivered_three_times_closes_its_share_once(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(EURUSD + "\nLot: 1.00", id=90)
    close = world.post("Close 0.3 lots", id=91, reply_to=90)

    # Act: redelivered twice
    await world.deliver(close, close, close)
    await world.settle()

    # Assert
    assert await _volumes(account) == [D("0.07")]
    closes = [
        c
        for r in await world.records("alice")
        for c in r.result.changes
        if c.kind is ChangeKind.PARTIAL_CLOSE
    ]
    assert [c.volume for c in closes] == [D("0.03")]


async def test_close_lots_of_a_signal_without_its_lot_size_closes_half(world: World) -> None:
    # Arrange: the channel's lot size is unknown
    account = await world.add_user("alice", lot="0.10")
    await world.say(EURUSD, id=90)

    # Act
    await world.say("Close 0.3 lots", id=91, reply_to=90)
    await world.settle()

    # Assert
    assert await _volumes(account) == [D("0.05")]
