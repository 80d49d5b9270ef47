"""'Same SL and TP' after a split signal: the levels that completed the signal, as they did.

"XAUUSD BUY NOW @ 2650" then "SL 2640 TP1 2660": the signal's levels are those. A re-entry
copies them where it writes none, under the rules the signal's own trade took them by (about
the signal, within split_window_s, on the signal's side), whatever order the messages arrive in.
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.broker.paper import PaperAccount
from world import World

# A side-first signal's stop is the user's default (40 pips = 4.0) until its levels arrive.
PROTECTED = {"lot": "0.10", "no_sl": "default_sl", "default_sl_pips": "40", "allow_looser_sl": True}
SIDE_FIRST = "XAUUSD BUY NOW @ 2650"
AGAIN = "Buy again from here 🔁 same SL and TP"


async def _reentry_leg(world: World, account: PaperAccount) -> tuple[D | None, D | None]:
    # The position the re-entry (message 3) opened: its stop and target.
    [record] = [r for r in await world.records("alice") if r.intent.message_id == 3]
    [position] = [
        p for p in await account.positions() if p.client_id.startswith(record.intent.client_id)
    ]
    return position.sl, position.tp


async def test_levels_delivered_after_the_reentry_are_still_the_ones_it_copies(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post("SL 2640 TP1 2660", id=2, reply_to=1)
    again = world.post(AGAIN, id=3, reply_to=1)

    # Act: the re-entry before the levels it copies, twice
    await world.deliver(signal, again, levels, again)
    await world.settle()

    # Assert
    assert await _reentry_leg(world, account) == (D("2640.00"), D("2660.00"))


async def test_a_stop_the_reentry_writes_wins_over_the_completed_one(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)

    # Act
    await world.say("Buy again, SL 2644 same TP", id=3, reply_to=1)

    # Assert
    assert await _reentry_leg(world, account) == (D("2644.00"), D("2660.00"))


async def test_levels_past_the_split_window_are_not_copied(world: World) -> None:
    # Arrange: the levels came 10 minutes after the signal, past a 5 minute window
    account = await world.add_user("alice", **PROTECTED, split_window_s=300)
    await world.say(SIDE_FIRST, id=1)
    world.later(600)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)

    # Act
    await world.say(AGAIN, id=3, reply_to=1)

    # Assert: as the signal's own trade, the default stop and no target
    sl, tp = await _reentry_leg(world, account)
    assert (sl, tp) != (D("2640.00"), D("2660.00")) and tp is None


async def test_levels_on_the_wrong_side_of_the_signal_are_not_copied(world: World) -> None:
    # Arrange: a stop above a buy's entry completes nothing
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.say("SL 2660 TP1 2670", id=2, reply_to=1)

    # Act
    await world.say(AGAIN, id=3, reply_to=1)

    # Assert
    sl, tp = await _reentry_leg(world, account)
    assert sl is not None and sl < D("2650") and tp is None


async def test_an_edit_of_the_signal_after_its_levels_gives_the_reentry_the_edits_levels(
    world: World,
) -> None:
    # Arrange: levels, then the channel edits the signal to corrected levels
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True)

    # Act
    await world.say(AGAIN, id=3, reply_to=1)

    # Assert
    assert await _reentry_leg(world, account) == (D("2645.00"), D("2655.00"))


async def test_bare_levels_after_the_signal_complete_it_for_the_reentry(world: World) -> None:
    # Arrange: the levels reply to nothing, right after the signal
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.say("SL 2640 TP1 2660", id=2)

    # Act
    await world.say(AGAIN, id=3)

    # Assert
    assert await _reentry_leg(world, account) == (D("2640.00"), D("2660.00"))
