"""End to end on the emulators: Pub/Sub push subscriptions deliver to functions-framework."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from function_apps import CHAT, channel_message, onboard, open_intent
from function_servers import InProcessServers, cli_server
from pubsub_topology import Topology, cloud_env, topology
from signal_copier import serving
from signal_copier.core.model import Status
from signal_copier.core.records import Subscription
from signal_copier.store.sqlite import SqliteStore

__all__ = ["cloud_env", "topology"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _eventually(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("the pushed messages were not handled in time")


def test_a_message_pushed_to_a_functions_framework_server_fans_out_to_intents(
    cloud_env: dict[str, str], topology: Topology, tmp_path: Path
) -> None:
    store = SqliteStore(str(tmp_path / "copier.sqlite3"))
    for user in ("tg1", "tg2"):
        asyncio.run(store.add_subscription(Subscription(user_id=user, chat_id=CHAT), None))
    messages, intents = topology.named_topic("messages"), topology.named_topic("intents")
    observed = topology.pull_subscription(intents)

    with cli_server("on_message", cloud_env, tmp_path / "on_message.log") as url:
        topology.push_subscription(messages, url)
        topology.publisher.publish(
            topology.publisher.topic_path(topology.project, messages),
            json.dumps(channel_message()).encode(),
            trace="trace-e2e",
        ).result(timeout=10)
        received = topology.pull(observed, 2, timeout=60)

    assert sorted(r.payload["user_id"] for r in received) == ["tg1", "tg2"]
    for r in received:
        assert r.attributes["trace"] == r.payload["trace_id"]
        assert r.attributes["user"] == r.payload["user_id"]
        assert r.attributes["chat"] == CHAT and r.attributes["origin_topic"] == "intents"
    store.close()


def test_a_channel_message_flows_through_on_message_and_on_intent_to_orders_once(
    cloud_env: dict[str, str], topology: Topology, tmp_path: Path
) -> None:
    messages, intents = topology.named_topic("messages"), topology.named_topic("intents")
    store = SqliteStore(str(tmp_path / "copier.sqlite3"))

    with InProcessServers(["on_message", "on_intent"]) as servers:
        deps = servers.call(serving.process().deps())
        servers.call(onboard(deps, "tg1"))
        topology.push_subscription(messages, servers.urls["on_message"])
        topology.push_subscription(intents, servers.urls["on_intent"])
        path = topology.publisher.topic_path(topology.project, messages)
        payload = json.dumps(channel_message()).encode()
        for _ in range(2):  # two listeners publish the same Telegram message
            topology.publisher.publish(path, payload).result(timeout=10)

        records = _eventually(lambda: asyncio.run(store.trades("tg1")))
        positions = servers.call(_orders(deps, "tg1"))
        time.sleep(1.0)  # let a duplicate delivery, if any, land before counting again
        again = servers.call(_orders(deps, "tg1"))

    (record,) = records
    assert record.result.status is Status.PLACED
    assert positions == again == len(record.result.fills) >= 1
    store.close()


def test_an_intent_on_the_dead_letter_topic_is_recorded_failed(
    cloud_env: dict[str, str], topology: Topology, tmp_path: Path
) -> None:
    dead = topology.named_topic("intents-dead-letter")
    store = SqliteStore(str(tmp_path / "copier.sqlite3"))
    payload = open_intent("tg1")

    with InProcessServers(["on_dead_letter"]) as servers:
        deps = servers.call(serving.process().deps())
        servers.call(onboard(deps, "tg1"))
        topology.push_subscription(dead, servers.urls["on_dead_letter"])
        topology.publisher.publish(
            topology.publisher.topic_path(topology.project, dead),
            json.dumps(payload).encode(),
            origin_topic="intents",  # Pub/Sub forwards the original message's attributes
        ).result(timeout=10)
        record = _eventually(lambda: asyncio.run(store.trade("tg1", payload["id"])))

    assert record.result.status is Status.FAILED
    assert "gave up" in record.result.detail
    store.close()


async def _orders(deps: Any, user_id: str) -> int:
    account = deps.broker.account(f"acc-{user_id}")
    return len(await account.positions()) + len(await account.orders())
