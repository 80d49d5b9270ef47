"""A channel deleting a message: its signal's pending orders go, whatever the delivery order."""

from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput, StoreUnavailable
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import ChangeKind, IntentKind, Status
from signal_copier.core.reasons import Reason
from signal_copier.core.records import Subscription, TradeRecord
from signal_copier.services import accounts
from signal_copier.services.messages import publish_intents
from signal_copier.services.pipeline import handle_message
from world import World

GOLD_LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP1 2660\nTP2 2670"  # two pending legs
EURO_LIMIT = "EURUSD BUY LIMIT 1.0800\nSL 1.0770\nTP 1.0900"


async def _deletions(world: World, user: str) -> list[TradeRecord]:
    return [r for r in await world.records(user) if r.intent.kind is IntentKind.DELETE]


async def test_deleted_signal_cancels_its_pending_orders(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_LIMIT, id=1)
    await world.say(EURO_LIMIT, id=2)
    assert len(await account.orders()) == 3

    await world.delete(id=1)

    assert [o.symbol for o in await account.orders()] == ["EURUSD"]
    last = await world.last("alice")
    assert (last.intent.kind, last.result.status) == (IntentKind.DELETE, Status.APPLIED)
    assert last.result.reason is Reason.SIGNAL_DELETED
    assert [c.kind for c in last.result.changes] == [ChangeKind.CANCEL, ChangeKind.CANCEL]
    assert "cancelled 2 pending order(s)" in last.result.detail


async def test_deleted_signal_keeps_its_filled_positions_by_default_and_says_so(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)

    await world.delete(id=1)

    assert len(await account.positions()) == 2
    last = await world.last("alice")
    assert last.result.reason is Reason.SIGNAL_DELETED
    assert "kept 2 filled position(s)" in last.result.detail


async def test_on_signal_deleted_close_also_closes_its_positions(world: World) -> None:
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655", id=1)
    await world.say(GOLD_LIMIT, id=2)
    await world.say(GOLD_BUY, id=3)

    await world.delete(id=3)

    assert len(await account.positions()) == 1  # only message 1's
    assert len(await account.orders()) == 2  # message 2's, untouched
    changes = (await world.last("alice")).result.changes
    assert [c.kind for c in changes] == [ChangeKind.CLOSE, ChangeKind.CLOSE]


async def test_on_signal_deleted_ignore_leaves_its_orders_and_records_why(world: World) -> None:
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="ignore")
    await world.say(GOLD_LIMIT, id=1)

    await world.delete(id=1)

    assert len(await account.orders()) == 2
    last = await world.last("alice")
    assert (last.result.status, last.result.reason) == (Status.SKIPPED, Reason.SIGNAL_DELETED)


async def test_a_channel_override_of_on_signal_deleted_wins(world: World) -> None:
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="ignore")
    await accounts.follow_channel(
        world.deps, "alice", "c1", {"on_signal_deleted": "cancel_pending"}, now=world.now
    )
    await world.say(GOLD_LIMIT, id=1)

    await world.delete(id=1)

    assert await account.orders() == []


async def test_deletion_before_its_signal_prevents_the_opening(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(GOLD_LIMIT, id=1)
    deletion = world.deletion(id=1)

    await world.deliver(deletion, signal)
    await world.settle()

    assert await account.orders() == []
    assert await world.records("alice") == []
    original = await world.store.message(signal.id)
    assert original is not None and original.superseded
    assert "deleted this message before this version arrived" in original.explain[-1]
    tombstone = await world.store.message(deletion.id)
    assert tombstone is not None and tombstone.kind == "deleted"
    assert "before it arrived here" in tombstone.explain[0]


async def test_deletion_before_the_signals_intent_ran_prevents_the_opening(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(GOLD_LIMIT, id=1)
    await handle_message(signal, world.deps, signal.received)  # its intent waits in the queue

    await world.delete(id=1)  # the queue now runs both, in either order
    await world.settle()

    assert await account.orders() == []
    opening = next(r for r in await world.records("alice") if r.intent.kind is IntentKind.OPEN)
    assert (opening.result.status, opening.result.reason) == (
        Status.SKIPPED,
        Reason.SIGNAL_DELETED,
    )


async def test_deletion_delivered_twice_acts_once(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_LIMIT, id=1)
    deletion = world.deletion(id=1)

    await world.deliver(deletion, deletion)
    await world.say(GOLD_LIMIT.replace("2640", "2641"), id=2)  # the repost, a new message
    await world.deliver(deletion)

    assert [o.price for o in await account.orders()] == [D("2641.00"), D("2641.00")]
    assert len(await _deletions(world, "alice")) == 1


async def test_deleted_chatter_changes_nothing(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say("Good morning traders, signals at 10", id=1)
    await world.say(GOLD_LIMIT, id=2)
    before = await world.records("alice")

    tombstone = await world.delete(id=1)

    assert len(await account.orders()) == 2
    assert await world.records("alice") == before
    assert tombstone is not None
    stored = await world.store.message(tombstone.key)
    assert stored is not None and stored.fanned_out == 0  # no intents
    assert "it was not a signal: nothing changes" in stored.explain[0]


async def test_a_deleted_follow_up_changes_nothing(world: World) -> None:
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    await world.say("close half", id=2, reply_to=1)

    tombstone = await world.delete(id=2)

    assert sum(p.volume for p in await account.positions()) == D("0.20")
    assert await _deletions(world, "alice") == []
    assert tombstone is not None and "a follow-up" in tombstone.explain[0]


async def test_a_signal_edited_to_cancelled_then_deleted_before_the_cancel_ran_finishes(
    world: World,
) -> None:
    # The cancel (a follow-up on its own message) and the deletion (which waits for the
    # message's earlier versions) once waited for each other forever, orders left live.
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_LIMIT, id=1)
    cancel = world.post("Signal cancelled", id=1, edited=True)
    await handle_message(cancel, world.deps, cancel.received)  # its intent waits in the queue

    await world.delete(id=1)

    assert await account.orders() == []
    kinds = {r.intent.kind: r.result.status for r in await world.records("alice")}
    assert kinds == {
        IntentKind.OPEN: Status.PLACED,
        IntentKind.COMMAND: Status.APPLIED,
        IntentKind.DELETE: Status.SKIPPED,  # nothing was left to cancel
    }
    assert await world.store.due_parked(world.later(3600), 10) == []


async def test_a_bare_follow_up_after_a_deleted_signal_is_about_the_signal_before_it(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2670", id=1)
    await world.say("EURUSD BUY NOW @ 1.0850\nSL 1.0820\nTP 1.0900", id=2)  # by mistake
    await world.delete(id=2)  # its position was filled: it stays (cancel_pending)
    await world.prices(XAUUSD=("2660", "2660.3"), EURUSD=("1.0870", "1.08708"))

    await world.say("Move SL to entry", id=3)

    stops = {p.symbol: p.sl for p in await account.positions()}
    assert stops == {"XAUUSD": D("2650.30"), "EURUSD": D("1.08200")}  # filled at 2650.30


async def test_an_edit_arriving_after_the_deletion_does_nothing(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2650\nTP 2660", id=1)  # SL on the wrong side
    fix = world.post(GOLD_LIMIT, id=1, edited=True)  # made before the deletion ...
    await world.delete(id=1)

    await world.deliver(fix)  # ... delivered after it
    await world.settle()

    assert await account.orders() == []
    stored = await world.store.message(fix.id)
    assert stored is not None and stored.superseded and stored.fanned_out == 0


async def test_a_deletion_reaches_a_user_who_unfollowed_but_holds_its_orders(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_LIMIT, id=1)
    await world.store.delete_subscription("alice", "c1")

    await world.delete(id=1)

    assert await account.orders() == []


async def test_a_deletion_with_text_is_refused_and_stores_nothing(world: World) -> None:
    await world.add_user("alice", lot="0.10")
    deletion = replace(world.deletion(id=1), text="XAUUSD BUY NOW")

    with pytest.raises(InvalidInput, match="a deletion carries no text"):
        await world.deliver(deletion)

    assert await world.store.message(ids.message_key("c1", 1, ids.DELETED_VERSION)) is None


async def test_a_delete_intent_without_a_stored_deletion_cancels_nothing(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    record = await world.say(GOLD_LIMIT, id=1)
    assert record is not None
    tombstone = replace(record, version=ids.DELETED_VERSION, kind="deleted", signals=())
    tombstone = replace(tombstone, earlier_signals=record.signals)
    (forged,) = intents_for(tombstone, [Subscription(user_id="alice", chat_id="c1")], "t")

    await publish_intents(world.deps, [forged])  # never stored: nobody deleted message 1
    await world.settle()

    assert len(await account.orders()) == 2
    assert (await world.last("alice")).result.reason is Reason.INVALID_INTENT


async def test_a_deletion_whose_reply_was_lost_before_its_fan_out_still_cancels(
    tmp_path: Path,
) -> None:
    # Arrange: the tombstone commits but the reply is lost (the handler fails before fanning out)
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_LIMIT, id=1)
    deletion = world.deletion(id=1)
    world.store.fail("remember_message", nth=world.store.calls("remember_message") + 1, after=True)

    # Act: the deletion's delivery fails and is redelivered
    with pytest.raises(StoreUnavailable):
        await world.deliver(deletion)
    await world.deliver(deletion)

    # Assert
    assert await account.orders() == []
    assert len(await _deletions(world, "alice")) == 1
