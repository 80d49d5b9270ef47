"""Topics and subscriptions on the Pub/Sub emulator, named uniquely per test."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from google.api_core.exceptions import AlreadyExists, DeadlineExceeded
from google.cloud import pubsub_v1
from google.cloud.pubsub_v1.types import PushConfig

from signal_copier import serving
from signal_copier.stack.emulators import Emulators


@dataclass
class Received:
    """One pulled message: its decoded JSON payload and attributes."""

    payload: Any
    attributes: dict[str, str]
    data: bytes


@dataclass
class Topology:
    """Creates topics and subscriptions for one test and deletes them afterwards."""

    emulators: Emulators
    prefix: str = field(default_factory=lambda: f"t{uuid.uuid4().hex[:10]}")
    publisher: pubsub_v1.PublisherClient = field(default_factory=pubsub_v1.PublisherClient)
    subscriber: pubsub_v1.SubscriberClient = field(default_factory=pubsub_v1.SubscriberClient)
    topics: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)

    @property
    def project(self) -> str:
        """Return the emulator's project id."""
        return self.emulators.project

    def topic(self, name: str) -> str:
        """Create a topic named `<prefix>-<name>`; return its short name."""
        short = f"{self.prefix}-{name}"
        path = self.publisher.topic_path(self.project, short)
        self.publisher.create_topic(name=path)
        self.topics.append(path)
        return short

    def named_topic(self, name: str) -> str:
        """Create the topic `name` itself (as the copier publishes to it) unless it exists."""
        path = self.publisher.topic_path(self.project, name)
        try:
            self.publisher.create_topic(name=path)
        except AlreadyExists:
            return name
        self.topics.append(path)
        return name

    def pull_subscription(self, topic: str) -> str:
        """Create a pull subscription on a topic; return its path."""
        return self._subscribe(topic, PushConfig())

    def push_subscription(self, topic: str, endpoint: str, ack_deadline: int = 10) -> str:
        """Create a push subscription that POSTs the topic's messages to `endpoint`."""
        return self._subscribe(topic, PushConfig(push_endpoint=endpoint), ack_deadline)

    def pull(self, subscription: str, count: int, timeout: float = 20.0) -> list[Received]:
        """Pull and acknowledge until `count` messages arrived (or raise after `timeout`)."""
        found: list[Received] = []
        deadline = time.monotonic() + timeout
        while len(found) < count and time.monotonic() < deadline:
            response = self.subscriber.pull(
                subscription=subscription, max_messages=min(count - len(found), 1000), timeout=5
            )
            ids = [m.ack_id for m in response.received_messages]
            for m in response.received_messages:
                found.append(
                    Received(
                        payload=_json(m.message.data),
                        attributes=dict(m.message.attributes),
                        data=m.message.data,
                    )
                )
            if ids:
                self.subscriber.acknowledge(subscription=subscription, ack_ids=ids)
        if len(found) < count:
            raise AssertionError(f"pulled {len(found)} of {count} messages from {subscription}")
        return found

    def nothing_waiting(self, subscription: str) -> bool:
        """Return True if a pull finds no message."""
        try:
            response = self.subscriber.pull(subscription=subscription, max_messages=10, timeout=2)
        except DeadlineExceeded:
            return True
        return not response.received_messages

    def delete(self) -> None:
        """Delete everything this topology created."""
        for path in self.subscriptions:
            self.subscriber.delete_subscription(subscription=path)
        for path in self.topics:
            self.publisher.delete_topic(topic=path)
        self.publisher.stop()

    def _subscribe(self, topic: str, push: PushConfig, ack_deadline: int = 10) -> str:
        name = f"{self.prefix}-{topic}-sub{len(self.subscriptions)}"
        path = self.subscriber.subscription_path(self.project, name)
        self.subscriber.create_subscription(
            name=path,
            topic=self.publisher.topic_path(self.project, topic),
            push_config=push,
            ack_deadline_seconds=ack_deadline,
        )
        self.subscriptions.append(path)
        return path


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return None


@pytest.fixture
def topology(emulators: Emulators) -> Iterator[Topology]:
    """Return a per-test topology on the Pub/Sub emulator, deleted afterwards."""
    created = Topology(emulators)
    try:
        yield created
    finally:
        created.delete()


@pytest.fixture
def cloud_env(
    emulators: Emulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    """Emulators mode: Pub/Sub and the envelope vault on the emulators, SQLite, paper broker."""
    environ = {
        "COPIER_MODE": "emulators",
        "COPIER_STORE": "sqlite",
        "COPIER_DATA_DIR": str(tmp_path),
        "COPIER_PUSH_AUTH": "off",
        **emulators.environ(),
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    emulators.wipe_firestore()
    serving.process.cache_clear()  # each test's settings build their own process parts
    yield environ
    serving.process.cache_clear()
