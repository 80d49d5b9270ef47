"""The demo's Pub/Sub topology on the emulator: topics, push subscriptions and observers.

`messages`, `intents` and `broker-events` each have a dead-letter topic, and every topic a push
subscription to the function that handles it: no ordering keys, a 60 s ack deadline and, on the
three main topics, a dead-letter policy after 15 attempts (ARCHITECTURE.md's timing table; the
emulator honours it for push subscriptions, but redelivers a refused push after about a second
instead of backing off). Every topic also has an observer: a pull subscription that receives a
copy of everything published, so the demo knows what is still to be handled.

It speaks the emulator's REST API: an observer is pulled with `returnImmediately` (so an empty
one answers at once), which the client library deprecates with a warning on every call.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from signal_copier.queue.pubsub import TOPICS, dead_letter_topic

ENTRY_POINTS = {
    "messages": "on_message",
    "intents": "on_intent",
    "broker-events": "on_broker_event",
}
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

    def __init__(self, host: str, project: str) -> None:
        self.project = project
        self._http = httpx.AsyncClient(base_url=f"http://{host}/v1/", timeout=30)
        self._created: list[str] = []  # resource paths, in creation order
        self._observers: dict[str, str] = {}  # observer subscription path → its topic

    @property
    def topics(self) -> tuple[str, ...]:
        """Return every topic: the three main ones, then their dead-letter topics."""
        return (*TOPICS, *(dead_letter_topic(t) for t in TOPICS))

    @staticmethod
    def entry_point(topic: str) -> str:
        """Return the function a topic's push subscription delivers to."""
        return ENTRY_POINTS.get(topic, DEAD_LETTER_ENTRY)

    async def create(self, urls: Mapping[str, str]) -> None:
        """Create every topic, its observer and its push subscription to `urls[entry point]`."""
        for topic in self.topics:
            await self._put(self._topic(topic), {})
        for topic in self.topics:
            observer = await self._subscribe(f"{topic}-observer", topic, {})
            self._observers[observer] = topic
            push: dict[str, Any] = {"pushConfig": {"pushEndpoint": urls[self.entry_point(topic)]}}
            if topic in ENTRY_POINTS:
                push["deadLetterPolicy"] = {
                    "deadLetterTopic": self._topic(dead_letter_topic(topic)),
                    "maxDeliveryAttempts": MAX_DELIVERY_ATTEMPTS,
                }
            await self._subscribe(f"{topic}-push", topic, push)

    async def observe(self) -> list[Observed]:
        """Return (and acknowledge) what was published since the last call, on every topic."""
        seen = []
        for path, topic in self._observers.items():
            while True:
                answer = await self._post(
                    f"{path}:pull", {"returnImmediately": True, "maxMessages": _PULL_BATCH}
                )
                received = answer.get("receivedMessages", [])
                if not received:
                    break
                seen += [_observed(topic, item["message"]) for item in received]
                ack_ids = [item["ackId"] for item in received]
                await self._post(f"{path}:acknowledge", {"ackIds": ack_ids})
        return seen

    async def aclose(self) -> None:
        """Delete what was created, subscriptions first (gone already is fine); close."""
        try:
            for path in reversed(self._created):
                answer = await self._http.delete(path)
                if answer.status_code != httpx.codes.NOT_FOUND:
                    answer.raise_for_status()
        finally:
            self._created.clear()
            await self._http.aclose()

    def _topic(self, topic: str) -> str:
        return f"projects/{self.project}/topics/{topic}"

    async def _subscribe(self, name: str, topic: str, options: dict[str, Any]) -> str:
        path = f"projects/{self.project}/subscriptions/{name}"
        body = {"topic": self._topic(topic), "ackDeadlineSeconds": ACK_DEADLINE_S, **options}
        await self._put(path, body)
        return path

    async def _put(self, path: str, body: dict[str, Any]) -> None:
        answer = await self._http.put(path, json=body)
        answer.raise_for_status()
        self._created.append(path)

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await self._http.post(path, json=body)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json() if answer.content else {}
        return found


def fingerprint(data: bytes, attributes: Mapping[str, str]) -> str:
    """Return what identifies a message's content (its dead-lettered copy has the same)."""
    own = {k: v for k, v in attributes.items() if not k.startswith("CloudPubSubDeadLetter")}
    digest = hashlib.sha256(data)
    digest.update(json.dumps(own, sort_keys=True).encode())
    return digest.hexdigest()


def _observed(topic: str, message: dict[str, Any]) -> Observed:
    attributes = {str(k): str(v) for k, v in (message.get("attributes") or {}).items()}
    source = attributes.get(DEAD_LETTER_SOURCE, "")
    return Observed(
        topic=topic,
        message_id=str(message.get("messageId", "")),
        fingerprint=fingerprint(base64.b64decode(message.get("data", "")), attributes),
        dead_letter_of=source.removesuffix("-push"),
    )
