"""A re-entry's trade belongs to the signal it repeats: what reaches that signal reaches it.

The signal's deletion and its post edited into "cancelled" take it back as they take back the
signal's own; a reply to the signal and a bare follow-up about it act on it too. A reply to the
re-entry message acts on the re-entry's trade alone. Every scenario runs in order and with the
intents shuffled and duplicated (the `world` fixture); some also deliver the messages shuffled.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from hooks import Hooked
from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import IntentKind, Status
from signal_copier.services.pipeline import handle_message
from world import World

SIGNAL = "XAUUSD BUY NOW 2650\nSL 2644\nTP 2660"
LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"
AGAIN = "Buy again from here 🔁 same SL and TP"


async def _stops(account: PaperAccount) -> list[tuple[D, D | None]]:
    return sorted((p.open_price, p.sl) for p in await account.positions())


async def _orders(account: PaperAccount) -> list[tuple[D | None, D | None]]:
    return sorted((o.price, o.sl) for o in await account.orders())


async def _signal_and_reentry_in_profit(world: World) -> PaperAccount:
    # The signal fills at 2650.30, its re-entry at 2653.30; then both are in profit.
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say(AGAIN, id=21, reply_to=20)
    await world.prices(XAUUSD=("2656.00", "2656.30"))
    return account


async def test_a_close_replying_to_the_signal_closes_its_reentrys_position_too(
    world: World,
) -> None:
    # Arrange
    account = await _signal_and_reentry_in_profit(world)

    # Act
    await world.say("Close this trade", id=22, reply_to=20)

    # Assert
    assert await account.positions() == []


async def test_move_sl_to_entry_replying_to_the_reentry_moves_only_the_reentrys_stop(
    world: World,
) -> None:
    # Arrange
    account = await _signal_and_reentry_in_profit(world)

    # Act
    await world.say("Move SL to entry", id=22, reply_to=21)

    # Assert: the signal's own stop is where the channel put it
    assert await _stops(account) == [(D("2650.30"), D("2644")), (D("2653.30"), D("2653.30"))]


async def test_a_reply_down_a_chain_through_the_reentry_acts_on_the_reentry_alone(
    world: World,
) -> None:
    # Arrange
    account = await _signal_and_reentry_in_profit(world)
    await world.say("Move SL to entry", id=22, reply_to=21)

    # Act: a reply to that follow-up
    await world.say("Close this trade", id=23, reply_to=22)

    # Assert
    assert await _stops(account) == [(D("2650.30"), D("2644"))]


async def test_move_sl_to_entry_after_the_reentry_without_a_reply_moves_both(
    world: World,
) -> None:
    # Arrange
    account = await _signal_and_reentry_in_profit(world)

    # Act: about the channel's latest signal, whose trades include its re-entry's
    await world.say("Move SL to entry", id=22)

    # Assert
    assert await _stops(account) == [(D("2650.30"), D("2650.30")), (D("2653.30"), D("2653.30"))]


async def test_a_cancel_replying_to_a_reentry_keeps_the_signals_order_in_any_order(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(LIMIT, id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    cancel = world.post("Cancel this order", id=22, reply_to=21)

    # Act: the cancel first, the re-entry twice
    await world.deliver(cancel, again, signal, again)
    await world.settle()

    # Assert: the re-entry's order went, the signal's stays
    assert await _orders(account) == [(D("2640"), D("2630"))]


async def test_a_reentry_after_a_cancel_of_an_earlier_reentry_still_opens(world: World) -> None:
    # Arrange: the channel cancelled its first re-entry's order, not the signal
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)
    await world.say("Cancel this order", id=22, reply_to=21)

    # Act
    await world.say("Add more at 2636", id=23, reply_to=20)

    # Assert
    assert await _orders(account) == [(D("2636"), D("2630")), (D("2640"), D("2630"))]


async def test_a_follow_up_replying_to_a_reentry_waits_for_it(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(LIMIT, id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    cancel = world.post("Cancel this order", id=22, reply_to=21)

    # Act: the signal and the cancel first; the re-entry long after
    await world.deliver(signal, cancel)
    await world.deliver(again)
    await world.settle()

    # Assert: the cancel acted once the re-entry was placed
    assert await _orders(account) == [(D("2640"), D("2630"))]
    cancels = [r for r in await world.records("alice") if r.intent.message_id == 22]
    assert [r.result.status for r in cancels] == [Status.APPLIED]


async def test_deleting_the_signal_with_close_set_closes_its_reentrys_position(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    signal = world.post(SIGNAL, id=20)
    again = world.post(AGAIN, id=21, reply_to=20)
    deletion = world.deletion(id=20)

    # Act: duplicated, in the order posted
    await world.deliver(signal, again, again, deletion, deletion)
    await world.settle()

    # Assert
    assert await account.positions() == []
    [record] = [r for r in await world.records("alice") if r.intent.kind is IntentKind.DELETE]
    assert record.result.reason == "signal_deleted"


async def test_deleting_the_signal_keeps_its_reentrys_filled_position_by_default(
    world: World,
) -> None:
    # Arrange: cancel_pending (the default) takes back orders, never a filled position
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.say(AGAIN, id=21, reply_to=20)

    # Act
    await world.delete(id=20)

    # Assert
    assert len(await account.positions()) == 2


async def test_a_signal_edited_into_cancelled_with_close_set_closes_its_reentry_too(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(SIGNAL, id=20)
    await world.say(AGAIN, id=21, reply_to=20)

    # Act
    await world.say("XAUUSD BUY NOW 2650 cancelled ❌", id=20, edited=True)

    # Assert
    assert await account.positions() == []


async def test_an_edit_of_the_signals_levels_leaves_the_reentrys_order_as_it_was_placed(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)

    # Act: the channel corrects the signal's entry and stop
    await world.say("XAUUSD BUY LIMIT 2639\nSL 2632\nTP 2660", id=20, edited=True)

    # Assert: the signal's order follows the edit; the re-entry's own entry and stop stay
    assert await _orders(account) == [(D("2635"), D("2630")), (D("2639"), D("2632"))]


async def test_deleting_the_reentry_message_cancels_its_order_and_keeps_the_signals(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(LIMIT, id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    deletion = world.deletion(id=21)

    # Act: in the order posted, the deletion twice
    await world.deliver(signal, again, deletion, deletion)
    await world.settle()

    # Assert
    assert await _orders(account) == [(D("2640"), D("2630"))]
    [record] = [r for r in await world.records("alice") if r.intent.kind is IntentKind.DELETE]
    assert (record.intent.message_id, record.result.reason) == (21, "signal_deleted")


async def test_a_reentry_deleted_before_it_arrives_places_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(LIMIT, id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    deletion = world.deletion(id=21)

    # Act: the deletion overtakes the re-entry
    await world.deliver(signal, deletion, again)
    await world.settle()

    # Assert: as when it comes after
    assert await _orders(account) == [(D("2640"), D("2630"))]


async def test_deleting_the_reentry_with_close_set_closes_its_position_alone(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(SIGNAL, id=20)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say(AGAIN, id=21, reply_to=20)

    # Act
    await world.delete(id=21)

    # Assert
    assert await _stops(account) == [(D("2650.30"), D("2644"))]


async def test_deleting_the_reentry_with_ignore_set_leaves_its_order(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="ignore")
    await world.say(LIMIT, id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)

    # Act
    await world.delete(id=21)

    # Assert
    assert await _orders(account) == [(D("2635"), D("2630")), (D("2640"), D("2630"))]
    assert (await world.last("alice")).result.reason == "signal_deleted"


async def test_deleting_a_plain_follow_up_still_takes_nothing_back(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    await world.say("Move SL to 2632", id=21, reply_to=20)

    # Act
    await world.delete(id=21)

    # Assert
    assert await _orders(account) == [(D("2640"), D("2632"))]
    assert not [r for r in await world.records("alice") if r.intent.kind is IntentKind.DELETE]


async def test_a_reentry_edited_into_cancelled_before_it_arrives_places_nothing(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(LIMIT, id=20)
    again = world.post("Add more at 2635", id=21, reply_to=20)
    edit = world.post("Cancelled", id=21, reply_to=20, edited=True)

    # Act: the edit overtakes the re-entry, which comes twice
    await world.deliver(signal, edit, again, again)
    await world.settle()

    # Assert: as when it comes after, only the signal's order waits
    assert await _orders(account) == [(D("2640"), D("2630"))]


async def test_a_reentry_edited_into_cancelled_with_close_set_closes_its_position_alone(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(SIGNAL, id=20)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say(AGAIN, id=21, reply_to=20)

    # Act
    await world.say("Cancelled ❌", id=21, reply_to=20, edited=True)

    # Assert
    assert await _stops(account) == [(D("2650.30"), D("2644"))]


async def test_a_reentry_edited_into_another_reentry_is_not_run_again(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)

    # Act
    await world.say("Add more at 2636", id=21, reply_to=20, edited=True)

    # Assert
    assert await _orders(account) == [(D("2635"), D("2630")), (D("2640"), D("2630"))]


async def test_a_cancel_edited_into_a_reentrys_post_twice_never_reaches_the_signal(
    world: World,
) -> None:
    # Arrange: the re-entry edited into "Cancelled", then edited again
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    await world.say("Add more at 2635", id=21, reply_to=20)
    await world.say("Cancelled", id=21, reply_to=20, edited=True)

    # Act
    world.later(5)
    await world.say("Cancelled ❌ (entry missed)", id=21, reply_to=20, edited=True)

    # Assert: the signal's own order was never named
    assert await _orders(account) == [(D("2640"), D("2630"))]


async def test_a_deletion_handled_while_the_reentry_places_still_takes_the_reentry_back(
    tmp_path: Path,
) -> None:
    # Arrange: the channel deletes its signal just as the re-entry's limit order is being sent
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    await world.say(LIMIT, id=20)
    gone = world.deletion(id=20)

    async def meanwhile() -> None:
        await handle_message(gone, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", meanwhile, nth=world.broker.calls("place") + 1)

    # Act
    await world.say("Add more at 2635", id=21, reply_to=20)
    await world.settle()

    # Assert: neither the signal's order nor the re-entry's is left
    assert await account.orders() == []
    record = next(r for r in await world.records("alice") if r.intent.message_id == 21)
    assert any("while it was being placed" in note for note in record.result.notes)
