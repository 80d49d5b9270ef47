"""The Pub/Sub queue on Google's emulator: JSON payloads, string attributes, bounded waits."""

from __future__ import annotations

import json

import pytest

from pubsub_topology import Topology, topology
from signal_copier import logs
from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import Publication
from signal_copier.queue.pubsub import PubSubQueue, QueueUnavailable, dead_letter_topic
from signal_copier.stack.emulators import free_port

__all__ = ["topology"]


async def test_publish_delivers_the_payload_as_json_with_string_attributes(
    topology: Topology,
) -> None:
    topic = topology.topic("intents")
    subscription = topology.pull_subscription(topic)
    queue = PubSubQueue(topology.project)
    payload = {"id": "i1", "volume": "0.10", "nested": {"tps": ["1.1", "1.2"]}}

    await queue.publish(topic, payload, attributes={"user": "tg1", "chat": "-100", "epoch": "3"})
    await queue.aclose()

    (received,) = topology.pull(subscription, 1)
    assert json.loads(received.data) == payload
    assert received.attributes == {
        "user": "tg1",
        "chat": "-100",
        "epoch": "3",
        "origin_topic": topic,
    }


async def test_the_running_trace_id_travels_as_an_attribute_unless_one_is_given(
    topology: Topology,
) -> None:
    topic = topology.topic("intents")
    subscription = topology.pull_subscription(topic)
    queue = PubSubQueue(topology.project)

    with logs.trace("trace-abc"):
        await queue.publish(topic, {"n": 1})
        await queue.publish(topic, {"n": 2}, attributes={"trace": "own"})
    await queue.aclose()

    traces = {r.payload["n"]: r.attributes["trace"] for r in topology.pull(subscription, 2)}
    assert traces == {1: "trace-abc", 2: "own"}


async def test_publish_many_sends_every_payload_of_a_fan_out(topology: Topology) -> None:
    topic = topology.topic("intents")
    subscription = topology.pull_subscription(topic)
    queue = PubSubQueue(topology.project)
    batch = [Publication(payload={"n": n}, attributes={"user": f"tg{n}"}) for n in range(250)]

    await queue.publish_many(topic, batch)
    await queue.aclose()

    received = topology.pull(subscription, 250)
    assert sorted(r.payload["n"] for r in received) == list(range(250))
    assert all(r.attributes["user"] == f"tg{r.payload['n']}" for r in received)


@pytest.mark.parametrize(
    ("payload", "attributes", "field"),
    [
        ({"price": float("nan")}, {}, "not JSON-safe"),
        ({"when": object()}, {}, "not JSON-safe"),
        ({"n": 1}, {"user": 5}, "strings to strings"),
        ({"n": 1}, {"googx": "1"}, "bad key"),
        ({"n": 1}, {"timeout": "1"}, "bad key"),
        ({"n": 1}, {"big": "x" * 1025}, "exceeds 1024 bytes"),
    ],
)
async def test_a_fan_out_with_one_bad_payload_sends_nothing(
    topology: Topology, payload: dict[str, object], attributes: dict[str, object], field: str
) -> None:
    topic = topology.topic("intents")
    subscription = topology.pull_subscription(topic)
    queue = PubSubQueue(topology.project)
    batch = [
        Publication(payload={"n": 0}),
        Publication(payload=payload, attributes=attributes),  # type: ignore[arg-type]
    ]

    with pytest.raises(InvalidInput, match=field):
        await queue.publish_many(topic, batch)
    await queue.aclose()

    assert topology.nothing_waiting(subscription)


async def test_publishing_to_a_missing_topic_is_retryable(topology: Topology) -> None:
    queue = PubSubQueue(topology.project)

    with pytest.raises(QueueUnavailable, match="NotFound"):
        await queue.publish(f"{topology.prefix}-never-created", {"n": 1})
    await queue.aclose()


async def test_a_publish_not_confirmed_in_time_is_retryable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{free_port()}")  # nobody answers
    queue = PubSubQueue("demo-unreachable", publish_timeout=0.5)

    with pytest.raises(QueueUnavailable, match=r"not confirmed within 0\.5s"):
        await queue.publish("intents", {"n": 1})


async def test_a_stopped_queue_refuses_to_publish(topology: Topology) -> None:
    topic = topology.topic("intents")
    queue = PubSubQueue(topology.project)
    await queue.publish(topic, {"n": 1})

    await queue.aclose()

    with pytest.raises(QueueUnavailable, match="shut down"):
        await queue.publish(topic, {"n": 2})


@pytest.mark.parametrize("topic", ["", "ab", "goog-x", "a/b", "intents\n"])
async def test_a_bad_topic_name_is_refused_before_connecting(topic: str) -> None:
    queue = PubSubQueue("demo-project")

    with pytest.raises(InvalidInput, match="topic"):
        await queue.publish(topic, {"n": 1})


def test_every_topic_has_a_dead_letter_topic_named_after_it() -> None:
    assert dead_letter_topic("intents") == "intents-dead-letter"
