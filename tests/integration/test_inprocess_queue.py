"""InProcessQueue: Pub/Sub's at-least-once delivery, in one process."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import Publication
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.store.sqlite import SqliteStore


class Recorder:
    """A handler that records payloads and fails the first `fail_times` calls."""

    def __init__(self, fail_times: int = 0) -> None:
        self.seen: list[dict[str, Any]] = []
        self.fail_times = fail_times

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.seen.append(payload)
        if len(self.seen) <= self.fail_times:
            raise RuntimeError(f"failure {len(self.seen)}")


async def test_queue_delivers_in_publish_order() -> None:
    queue, handler = InProcessQueue(), Recorder()
    queue.subscribe("intents", handler)
    for n in range(5):
        await queue.publish("intents", {"n": n})

    await queue.drain()

    assert handler.seen == [{"n": n} for n in range(5)]
    assert (queue.delivered, queue.redelivered, queue.dead_lettered) == (5, 0, 0)


async def test_queue_payload_is_a_json_copy() -> None:
    queue, handler = InProcessQueue(), Recorder()
    queue.subscribe("t", handler)
    payload = {"prices": ["1.5"], "id": 7}
    await queue.publish("t", payload)
    payload["prices"].append("mutated")

    await queue.drain()

    assert handler.seen == [{"prices": ["1.5"], "id": 7}]


@pytest.mark.parametrize(
    "payload",
    [{"price": Decimal("1.5")}, {"x": float("nan")}, {"s": {1, 2}}, ["not", "an", "object"]],
)
async def test_queue_rejects_non_json_payload(payload: Any) -> None:
    queue = InProcessQueue()
    with pytest.raises(InvalidInput):
        await queue.publish("t", payload)
    assert queue.pending("t") == []


async def test_queue_redelivers_until_handler_succeeds() -> None:
    queue, handler = InProcessQueue(max_attempts=5), Recorder(fail_times=2)
    queue.subscribe("t", handler)
    await queue.publish("t", {"n": 1})

    await queue.drain()

    assert handler.seen == [{"n": 1}] * 3
    assert (queue.delivered, queue.redelivered, queue.dead_lettered) == (3, 2, 0)
    assert queue.dead_letters == []


async def test_queue_redelivers_until_max_then_dead_letters() -> None:
    queue, handler = InProcessQueue(max_attempts=3), Recorder(fail_times=99)
    queue.subscribe("t", handler)
    await queue.publish("t", {"n": 1})

    await queue.drain()

    assert len(handler.seen) == 3
    assert (queue.delivered, queue.redelivered, queue.dead_lettered) == (3, 2, 1)
    [(topic, payload, error)] = queue.dead_letters
    assert (topic, payload, str(error)) == ("t", {"n": 1}, "failure 3")
    assert queue.pending("t") == []


async def test_failed_message_goes_behind_the_others() -> None:
    queue = InProcessQueue()
    seen: list[int] = []

    async def handler(payload: dict[str, Any]) -> None:
        seen.append(payload["n"])
        if payload["n"] == 1 and seen.count(1) == 1:
            raise RuntimeError("once")

    queue.subscribe("t", handler)
    for n in (1, 2, 3):
        await queue.publish("t", {"n": n})

    await queue.drain()

    assert seen == [1, 2, 3, 1]


async def test_handlers_may_publish_more_and_drain_delivers_it() -> None:
    queue, intents = InProcessQueue(), Recorder()

    async def on_message(payload: dict[str, Any]) -> None:
        for user in ("u1", "u2"):
            await queue.publish("intents", {"message": payload["id"], "user": user})

    queue.subscribe("messages", on_message)
    queue.subscribe("intents", intents)
    await queue.publish("messages", {"id": 812})

    await queue.drain()

    assert intents.seen == [{"message": 812, "user": "u1"}, {"message": 812, "user": "u2"}]


async def test_duplicates_deliver_each_publish_several_times() -> None:
    queue, handler = InProcessQueue(duplicates=3), Recorder()
    queue.subscribe("t", handler)
    await queue.publish("t", {"n": 1})

    await queue.drain()

    assert handler.seen == [{"n": 1}] * 3
    assert queue.delivered == 3


async def test_message_without_subscriber_is_kept_pending() -> None:
    queue, handler = InProcessQueue(), Recorder()
    await queue.publish("later", {"n": 1})

    await queue.drain()

    assert queue.pending("later") == [{"n": 1}]
    queue.subscribe("later", handler)
    await queue.drain()
    assert handler.seen == [{"n": 1}]
    assert queue.pending("later") == []


async def test_second_handler_for_a_topic_is_refused() -> None:
    queue = InProcessQueue()
    queue.subscribe("t", Recorder())
    with pytest.raises(ValueError, match="already"):
        queue.subscribe("t", Recorder())


async def test_concurrency_delivers_up_to_n_at_once() -> None:
    queue = InProcessQueue(concurrency=4)
    in_flight, peak = 0, 0

    async def handler(payload: dict[str, Any]) -> None:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.001)
        in_flight -= 1

    queue.subscribe("t", handler)
    for n in range(10):
        await queue.publish("t", {"n": n})

    await queue.drain()

    assert (peak, queue.delivered) == (4, 10)


async def test_concurrent_failures_are_still_dead_lettered() -> None:
    queue, handler = InProcessQueue(concurrency=3, max_attempts=2), Recorder(fail_times=99)
    queue.subscribe("t", handler)
    for n in range(4):
        await queue.publish("t", {"n": n})

    await queue.drain()

    assert sorted(p["n"] for _, p, _ in queue.dead_letters) == [0, 1, 2, 3]
    assert (queue.delivered, queue.dead_lettered) == (8, 4)


@pytest.mark.parametrize("concurrency", [1, 3])
async def test_a_drain_cancelled_mid_delivery_keeps_the_message_for_the_next_drain(
    concurrency: int,
) -> None:
    queue, started, release = (
        InProcessQueue(concurrency=concurrency),
        asyncio.Event(),
        asyncio.Event(),
    )
    seen: list[dict[str, Any]] = []

    async def handler(payload: dict[str, Any]) -> None:
        seen.append(payload)
        started.set()
        await release.wait()

    queue.subscribe("t", handler)
    await queue.publish("t", {"n": 1})
    draining = asyncio.create_task(queue.drain())
    await started.wait()

    draining.cancel()
    with pytest.raises(asyncio.CancelledError):
        await draining
    release.set()
    await queue.drain()

    assert queue.pending("t") == [] and seen == [{"n": 1}, {"n": 1}]


@pytest.mark.parametrize("argument", ["max_attempts", "concurrency", "duplicates"])
def test_queue_settings_below_one_are_refused(argument: str) -> None:
    with pytest.raises(ValueError, match=argument):
        InProcessQueue(**{argument: 0})


async def test_publish_many_delivers_every_payload_with_its_attributes() -> None:
    queue, handler = InProcessQueue(), Recorder()
    queue.subscribe("t", handler)
    batch = [Publication(payload={"n": n}, attributes={"user": f"u{n}"}) for n in range(3)]

    await queue.publish_many("t", batch)
    await queue.drain()

    assert handler.seen == [{"n": 0}, {"n": 1}, {"n": 2}]


async def test_attributes_that_are_not_strings_are_refused() -> None:
    queue = InProcessQueue()
    with pytest.raises(InvalidInput, match="strings"):
        await queue.publish("t", {"n": 1}, attributes={"epoch": 3})  # type: ignore[dict-item]


async def test_an_attribute_handler_gets_each_payload_with_its_attributes() -> None:
    queue, seen = InProcessQueue(), []

    async def handler(payload: dict[str, Any], attributes: Mapping[str, str]) -> None:
        seen.append((payload, dict(attributes)))

    await queue.publish("t", {"n": 1}, attributes={"kind": "poll"})
    queue.subscribe_with_attributes("t", handler)
    await queue.publish("t", {"n": 2})
    await queue.drain()

    assert seen == [({"n": 1}, {"kind": "poll"}), ({"n": 2}, {})]


async def test_a_journaled_queue_keeps_each_publication_until_it_is_handled() -> None:
    # Arrange: two publications, the handler fails the first delivery
    journal, handler = SqliteStore(":memory:"), Recorder(fail_times=1)
    queue = InProcessQueue(journal=journal)
    await queue.publish("t", {"n": 1}, attributes={"user": "alice"})
    await queue.publish("t", {"n": 2})
    kept = [(topic, data, labels) for _, topic, data, labels in journal.kept()]

    # Act: a restart before any delivery (a new queue on the same journal), then delivery
    restarted = InProcessQueue(journal=journal)
    restarted.subscribe("t", handler)
    await restarted.drain()

    # Assert: both kept in publish order, delivered after the restart, forgotten once handled
    assert kept == [("t", '{"n": 1}', {"user": "alice"}), ("t", '{"n": 2}', {})]
    assert handler.seen == [{"n": 1}, {"n": 2}, {"n": 1}] and journal.kept() == []


async def test_a_journaled_dead_letter_is_kept_until_its_failure_is_recorded() -> None:
    # Arrange
    journal = SqliteStore(":memory:")
    queue = InProcessQueue(max_attempts=2, journal=journal)
    queue.subscribe("t", Recorder(fail_times=99))
    await queue.publish("t", {"n": 1})

    # Act
    await queue.drain()
    before = len(journal.kept())
    queue.recorded(0)

    # Assert: a kill before the failure was recorded delivers it again after a restart
    assert (queue.dead_lettered, before, journal.kept()) == (1, 1, [])


@pytest.mark.parametrize("options", [{"seed": 1}, {"duplicates": 2}, {"max_duplicates": 3}])
def test_a_journaled_queue_refuses_shuffled_or_duplicated_delivery(options: Any) -> None:
    with pytest.raises(ValueError, match="once, in order"):
        InProcessQueue(journal=SqliteStore(":memory:"), **options)
