"""The demo's Pub/Sub topology on the emulator: topics, push subscriptions and observers.

`messages`, `intents` and `broker-events` each have a dead-letter topic, and every topic a push
subscription to the function that handles it: no ordering keys, a 60 s ack deadline and, on the
three main topics, a dead-letter policy after 15 attempts (ARCHITECTURE.md's timing table; the
emulator honours it for push subscriptions, but redelivers a refused push after about a second
instead of backing off). Every topic also has an observer: a pull subscription that receives a
copy of everything published, so the demo knows what is still to be handled.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from google.api_core.exceptions import NotFound
from google.cloud.pubsub_v1 import PublisherClient, SubscriberClient
from google.pubsub_v1.types import PubsubMessage

from signal_copier.queue.pubsub import TOPICS, dead_letter_topic

ENTRY_POINTS = {"messages": "on_message", "intents": "on_intent", "broker-events": "on_broker_event"}
DEAD_LETTER_ENTRY = "on_dead_letter"
ACK_DEADLINE_S = 60
MAX_DELIVERY_ATTEMPTS = 15
# Set by Pub/Sub on a dead-lettered copy: the (short) name of the subscription that gave up.
DEAD_LETTER_SOURCE = "CloudPubSubDeadLetterSourceSubscription"
_PULL_BATCH = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class Observed:
    """One published message, as an observer saw it."""

    topic: str
    message_id: str
    fingerprint: str  # the same for a message and its dead-lettered copy
    dead_letter_of: str = ""  # a dead-lettered copy: the topic whose subscription gave up


class PubSubTopology:
    """Create the demo's topics and subscriptions in one project; delete them afterwards."""

    def __init__(self, project: str) -> None:
        self.project = project
        self._publisher = PublisherClient()
        self._subscriber = SubscriberClient()
        self._topics: list[str] = []
        self._subscriptions: list[str] = []
        self._observers: dict[str, str] = {}  # observer subscription path → its topic

    @property
    def topics(self) -> tuple[str, ...]:
        """Return every topic: the three main ones, then their dead-letter topics."""
        return (*TOPICS, *(dead_letter_topic(t) for t in TOPICS))

    @staticmethod
    def entry_point(topic: str) -> str:
        """Return the function a topic's push subscription delivers to."""
        return ENTRY_POINTS.get(topic, DEAD_LETTER_ENTRY)

    def push_subscription(self, topic: str) -> str:
        """Return the short name of a topic's push subscription."""
        return f"{topic}-push"

    def create(self, urls: Mapping[str, str]) -> None:
        """Create every topic, its observer and its push subscription to `urls[entry point]`."""
        for topic in self.topics:
            path = self._publisher.topic_path(self.project, topic)
            self._publisher.create_topic(name=path)
            self._topics.append(path)
        for topic in self.topics:
            observer = self._subscribe(f"{topic}-observer", topic, {})
            self._observers[observer] = topic
            push = {"push_config": {"push_endpoint": urls[self.entry_point(topic)]}}
            if topic in ENTRY_POINTS:
                push["dead_letter_policy"] = {
                    "dead_letter_topic": self._publisher.topic_path(
                        self.project, dead_letter_topic(topic)
                    ),
                    "max_delivery_attempts": MAX_DELIVERY_ATTEMPTS,
                }
            self._subscribe(self.push_subscription(topic), topic, push)

    def observe(self) -> list[Observed]:
        """Return (and acknowledge) what was published since the last call, on every topic."""
        seen = []
        for path, topic in self._observers.items():
            while True:
                response = self._subscriber.pull(
                    request={
                        "subscription": path,
                        "max_messages": _PULL_BATCH,
                        "return_immediately": True,  # the emulator answers at once when empty
                    },
                    timeout=30,
                )
                received = response.received_messages
                if not received:
                    break
                seen += [_observed(topic, m.message) for m in received]
                self._subscriber.acknowledge(subscription=path, ack_ids=[m.ack_id for m in received])
        return seen

    def delete(self) -> None:
        """Delete what was created (gone already is fine) and close the clients."""
        try:
            for path in self._subscriptions:
                _quietly(lambda p=path: self._subscriber.delete_subscription(subscription=p))
            for path in self._topics:
                _quietly(lambda p=path: self._publisher.delete_topic(topic=p))
        finally:
            self._subscriptions.clear()
            self._topics.clear()
            self._subscriber.close()
            self._publisher.stop()

    def _subscribe(self, name: str, topic: str, options: dict[str, object]) -> str:
        path = self._subscriber.subscription_path(self.project, name)
        self._subscriber.create_subscription(
            request={
                "name": path,
                "topic": self._publisher.topic_path(self.project, topic),
                "ack_deadline_seconds": ACK_DEADLINE_S,
                **options,
            }
        )
        self._subscriptions.append(path)
        return path


def fingerprint(data: bytes, attributes: Mapping[str, str]) -> str:
    """Return what identifies a message's content (its dead-lettered copy has the same)."""
    own = {k: v for k, v in attributes.items() if not k.startswith("CloudPubSubDeadLetter")}
    digest = hashlib.sha256(data)
    digest.update(json.dumps(own, sort_keys=True).encode())
    return digest.hexdigest()


def _observed(topic: str, message: PubsubMessage) -> Observed:
    attributes = dict(message.attributes)
    source = attributes.get(DEAD_LETTER_SOURCE, "")
    return Observed(
        topic=topic,
        message_id=str(message.message_id),
        fingerprint=fingerprint(message.data, attributes),
        dead_letter_of=source.removesuffix("-push"),
    )


def _quietly(delete: Callable[[], object]) -> None:
    try:
        delete()
    except NotFound:
        pass
