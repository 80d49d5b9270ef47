"""Attack round 11: the cloud path (push handlers, dead letters, the Firestore store) and the
user's controls raced against intents in flight (hostile review).

Each test is a way to lose money (or a trade) that the review reproduced.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core import codec, ids
from signal_copier.core.errors import BrokerUnavailable, InvalidInput
from signal_copier.core.model import Intent, IntentKind
from signal_copier.services import dead_letters, pipeline, sweep
from signal_copier.services.deps import INTENTS_TOPIC
from world import World


async def _published_intents(world: World, text: str, *, id: int) -> list[dict[str, Any]]:
    """Handle a channel message and return the intents it published, undelivered."""
    message = world.post(text, id=id)
    await pipeline.handle_message(message, world.deps, world.now)
    return world.queue.pending(INTENTS_TOPIC)


async def test_a_dead_letter_whose_user_was_altered_does_not_swallow_the_real_users_trade(
    tmp_path: Path,
) -> None:
    # Arrange: alice's intent for a signal; a dead letter arrives bearing her intent's id but
    # bob's user id (altered, or a bug upstream)
    world = World(tmp_path)
    alice = await world.add_user("alice", lot="0.20")
    await world.add_user("bob", lot="0.20")
    payload = next(
        p for p in await _published_intents(world, GOLD_BUY, id=1) if p["user_id"] == "alice"
    )
    altered = {**payload, "user_id": "bob"}

    # Act: the altered dead letter is refused (the push acknowledges it as malformed), then
    # alice's genuine intent is delivered
    with pytest.raises(InvalidInput):
        await dead_letters.record_dead_letter(INTENTS_TOPIC, altered, world.deps, world.now)
    await pipeline.execute_intent(codec.from_dict(Intent, payload), world.deps, world.now)

    # Assert: alice's trade is placed; nothing was recorded for bob under her intent's id
    assert len(await alice.positions()) == 2
    assert await world.records("bob") == []


async def test_a_leg_placed_before_the_user_unfollowed_is_still_closed_by_the_channel(
    tmp_path: Path,
) -> None:
    # Arrange: the first leg's order goes through but its answer times out; meanwhile the user
    # unfollows the channel, so the redelivered intent finds her no longer following it
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def unfollow() -> None:
        await world.store.delete_subscription("alice", "c1")

    world.broker.before("place", unfollow)
    world.broker.fail("place", after=True, error=BrokerUnavailable("the answer timed out"))
    await world.say(GOLD_BUY, id=1)
    assert len(await account.positions()) == 1  # the leg the timed-out call placed

    # Act: the channel closes the signal
    await world.say("Close now", id=2, reply_to=1)

    # Assert: the leg it opened is closed, as every trade of a channel one unfollowed is
    assert await account.positions() == []


async def test_management_claims_left_in_flight_do_not_starve_the_sweep_of_a_dead_workers_intent(
    tmp_path: Path,
) -> None:
    # Arrange: alice's opening; three TP events whose management gave up after retries (their
    # claims stay in flight, released); then the opening's worker dies holding its claim
    world = World(tmp_path)
    await world.add_user("alice", lot="0.20")
    intent = codec.from_dict(Intent, (await _published_intents(world, GOLD_BUY, id=1))[0])
    deps = replace(world.deps, timing=replace(world.deps.timing, sweep_batch=3))
    for n in range(3):
        event = ids.event_intent_id("alice", f"{intent.client_id}.{n}", "position_closed")
        managed = replace(intent, id=event, kind=IntentKind.MANAGE)
        await world.store.claim(managed, "worker-a", world.now, deps.lease)
        await world.store.release_claim(managed.id, "worker-a")
    await world.store.claim(intent, "worker-b", world.now, deps.lease)
    published = len(world.queue.pending(INTENTS_TOPIC))

    # Act: the sweep runs once the dead worker's lease has ended
    now = world.later(deps.lease.total_seconds() + 1)
    await sweep.republish_expired_claims(deps, now)

    # Assert: the opening is published again, so it runs (or is recorded) instead of vanishing
    assert len(world.queue.pending(INTENTS_TOPIC)) == published + 1


async def test_a_dead_letter_of_a_parked_close_does_not_stop_it_closing_the_trade(
    tmp_path: Path,
) -> None:
    # Arrange: the channel's close arrives before its signal was opened for alice, so it waits
    # (parked) for the opening; a copy of it that kept bouncing is then dead-lettered
    world = World(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await _published_intents(world, GOLD_BUY, id=1)
    message = world.post("Close now", id=2, reply_to=1)
    await pipeline.handle_message(message, world.deps, world.now)
    close = next(p for p in world.queue.pending(INTENTS_TOPIC) if p["message_id"] == 2)
    parked = await pipeline.execute_intent(codec.from_dict(Intent, close), world.deps, world.now)
    assert parked is None  # it waits for the opening

    # Act: the dead letter is recorded, then the opening runs (and wakes the close)
    await dead_letters.record_dead_letter(INTENTS_TOPIC, close, world.deps, world.now)
    await world.settle(1)

    # Assert: the opening was placed, then closed by the channel's close
    statuses = {r.intent.message_id: r.result.status for r in await world.records("alice")}
    assert statuses == {1: "placed", 2: "applied"}
    assert await account.positions() == []


async def test_a_close_posted_while_the_opening_retries_after_an_unfollow_still_closes_its_leg(
    tmp_path: Path,
) -> None:
    # Arrange: alice's opening placed its first leg but the answer timed out; she unfollows the
    # channel, which then closes the signal before the opening's retry
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    world.broker.fail("place", after=True, error=BrokerUnavailable("the answer timed out"))
    opening = codec.from_dict(Intent, (await _published_intents(world, GOLD_BUY, id=1))[0])
    with pytest.raises(BrokerUnavailable):
        await pipeline.execute_intent(opening, world.deps, world.now)
    await world.store.delete_subscription("alice", "c1")
    message = world.post("Close now", id=2, reply_to=1)
    await pipeline.handle_message(message, world.deps, world.now)
    close = next(p for p in world.queue.pending(INTENTS_TOPIC) if p["message_id"] == 2)

    # Act: the close is delivered, then the opening's retry, then whatever they published
    await pipeline.execute_intent(codec.from_dict(Intent, close), world.deps, world.later(1))
    await pipeline.execute_intent(opening, world.deps, world.later(10))
    await world.settle(1)

    # Assert: the leg the opening placed is closed
    assert await account.positions() == []
