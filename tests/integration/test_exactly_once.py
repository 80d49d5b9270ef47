"""Nothing done twice: duplicate deliveries, concurrent workers, unknown outcomes, the breaker."""

import asyncio
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from builders import GOLD_BUY
from flaky import FlakyBroker
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.model import RawMessage, Status
from signal_copier.services.pipeline import handle_message
from world import World


async def test_every_message_and_intent_delivered_three_times_concurrently_places_once(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, duplicates=3, concurrency=3)
    alice = await world.add_user("alice", lot="0.20")
    bob = await world.add_user("bob", lot="0.10")
    at = world.later(1)
    message = RawMessage(chat_id="c1", message_id=1, text=GOLD_BUY, date=at, received=at)
    await asyncio.gather(*(handle_message(message, world.deps, at) for _ in range(3)))
    await world.queue.drain()
    assert len(await alice.positions()) == 2 and len(await bob.positions()) == 2
    assert sum(p.volume for p in await alice.positions()) == D("0.20")
    assert len(await world.records("alice")) == 1
    assert world.queue.dead_letters == []


async def test_unknown_outcome_is_reconciled_by_client_id_not_resent(tmp_path: Path) -> None:
    world = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on={1}, after=True))
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    positions = await account.positions()
    assert len(positions) == 2  # the first leg was placed once, not twice
    assert len({p.client_id for p in positions}) == 2
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_breaker_pauses_after_repeated_broker_failures_then_resumes(tmp_path: Path) -> None:
    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on=range(1, 100)), max_attempts=1
    )
    flaky = world.broker
    account = await world.add_user("alice", lot="0.02")
    for n in range(3):
        await world.say(GOLD_BUY, id=n + 1)
    user = await world.store.get_user("alice")
    assert user is not None and user.paused_reason == "broker_breaker"
    assert len(world.queue.dead_letters) == 3  # nothing lost: the failed intents are kept
    failed = [r.result for r in await world.records("alice")]
    assert [(r.status, r.reason) for r in failed] == [(Status.FAILED, "broker_unavailable")] * 3
    await world.say(GOLD_BUY, id=10)
    assert (await world.last("alice")).result.reason == "broker_breaker"
    flaky.fail_on = set()
    world.later(timedelta(minutes=6).total_seconds())
    await world.say(GOLD_BUY, id=11)
    assert (await world.last("alice")).result.status is Status.PLACED
    assert len(await account.positions()) == 2


async def test_a_crash_before_fan_out_finished_is_redone_by_the_redelivery(tmp_path: Path) -> None:
    world = World(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    at = world.later(1)
    message = RawMessage(chat_id="c1", message_id=1, text=GOLD_BUY, date=at, received=at)
    real_publish = world.queue.publish

    async def crash(*args: object, **kwargs: object) -> None:
        raise BrokerUnavailable("the process died while publishing")

    world.queue.publish = crash  # type: ignore[method-assign]
    with pytest.raises(BrokerUnavailable):
        await handle_message(message, world.deps, at)
    world.queue.publish = real_publish  # type: ignore[method-assign]
    assert await handle_message(message, world.deps, at) is not None  # not taken for a duplicate
    await world.queue.drain()
    assert len(await account.positions()) == 2
    assert await handle_message(message, world.deps, at) is None  # now it is one
