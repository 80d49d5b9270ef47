"""Review round 10: split signals, re-entries and resizes attacked as a trader losing money would.

Each test is a bug confirmed by running it (a strict xfail until its fix landed), now a
regression scenario.
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.broker.paper import PaperAccount
from world import World

# A side-first signal's stop is the user's default (40 pips = 4.0) until its levels arrive.
PROTECTED = {"lot": "0.10", "no_sl": "default_sl", "default_sl_pips": "40", "allow_looser_sl": True}
RISK_SIZED = {**PROTECTED, "risk_mode": "risk_percent", "risk_percent": "1"}


async def _legs(account: PaperAccount) -> list[tuple[str, D | None, D | None, D]]:
    return sorted((p.client_id, p.sl, p.tp, p.volume) for p in await account.positions())


async def test_buy_again_after_a_split_signal_opens_with_the_levels_that_completed_it(
    world: World,
) -> None:
    # Arrange: the signal in two messages, completed to SL 2640 TP 2660
    account = await world.add_user("alice", **PROTECTED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)

    # Act
    await world.say("Buy again from here 🔁 same SL and TP", id=3, reply_to=1)

    # Assert: both trades carry the channel's levels
    legs = await _legs(account)
    assert len(legs) == 2
    assert [(sl, tp) for _, sl, tp, _ in legs] == [(D("2640.00"), D("2660.00"))] * 2


async def test_deleting_a_signal_after_its_reentry_leaves_no_pending_reentry_order(
    world: World,
) -> None:
    # Arrange: signal, its re-entry, then the channel takes the signal back
    account = await world.add_user("alice", lot="0.10")
    signal = world.post("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    again = world.post("Buy limit again 2641", id=21, reply_to=20)
    deletion = world.deletion(id=20)

    # Act: in the order posted (the deletion delivered before the re-entry places nothing)
    await world.deliver(signal, again, deletion)
    await world.settle()

    # Assert: as when the deletion overtakes the re-entry, no order of the signal is left
    assert [(o.price, o.client_id) for o in await account.orders()] == []


async def test_levels_widening_a_risk_sized_default_stop_keep_the_risk_it_was_sized_for(
    world: World,
) -> None:
    # Arrange: 1 % of 10,000 sized for the default 4.0 stop: 0.25 lots
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)

    # Act: the channel's stop, 20.3 away
    await world.say("SL 2630 TP1 2670", id=2, reply_to=1)

    # Assert: as an edit adding the same levels does (cut to 0.04 lots), at most 1 % at risk
    [(_, sl, _, volume)] = await _legs(account)
    assert sl == D("2630.00")
    assert (D("2650.30") - sl) * volume * 100 <= D("100")


async def test_levels_overtaken_by_the_signals_later_edit_never_undo_the_edit(
    world: World,
) -> None:
    # Arrange: signal, its levels, then the channel edits the signal to corrected levels
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post("XAUUSD BUY NOW @ 2650", id=1)
    levels = world.post("SL 2640 TP1 2660", id=2)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True)

    # Act: the edit is delivered before the levels it corrects
    await world.deliver(signal, edit, levels)
    await world.settle()

    # Assert: as in the order posted, the edit's levels stand
    assert [(sl, tp) for _, sl, tp, _ in await _legs(account)] == [(D("2645.00"), D("2655.00"))]


async def test_a_signal_edited_into_cancelled_after_its_reentry_leaves_no_reentry_order(
    world: World,
) -> None:
    # Arrange: a limit signal and its re-entry, then the channel edits the signal to cancelled
    account = await world.add_user("alice", lot="0.10")
    signal = world.post("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    cancelled = world.post("XAUUSD BUY LIMIT 2640 cancelled ❌", id=20, edited=True)

    # Act: in the order posted
    await world.deliver(signal, again, cancelled)
    await world.settle()

    # Assert: as when the edit overtakes the re-entry (signal_cancelled), nothing is pending
    assert [(o.price, o.client_id) for o in await account.orders()] == []


async def test_cancel_replying_to_an_add_more_message_cancels_that_reentrys_order(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)

    # Act
    await world.say("Cancel this order", id=22, reply_to=21)

    # Assert: the re-entry's order is gone, at the very least
    assert D("2635.00") not in [o.price for o in await account.orders()]


async def test_a_reentry_zone_reaching_past_the_signals_stop_is_refused_as_a_signal_is(
    world: World,
) -> None:
    # Arrange: a sell with its stop at 2656
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD SELL NOW 2650\nSL 2656\nTP 2640", id=20)

    # Act: the channel sells more in a zone whose top is above that stop
    await world.say("Sell more at 2655-2658", id=21, reply_to=20)

    # Assert: nothing pending, refused for the stop inside the zone
    assert await account.orders() == []
    assert (await world.last("alice")).result.reason == "sl_wrong_side"
