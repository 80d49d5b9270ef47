"""The Queue port on Google Pub/Sub: batched publishing, JSON payloads, string attributes.

There are no ordering keys (ARCHITECTURE.md, "Cloud delivery"). Every message also carries
the attribute `origin_topic`, so the dead-letter handler knows where a message was going, and
the running trace id (`trace`) unless the caller set one.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from google.api_core import exceptions as google_errors
from google.cloud.pubsub_v1 import PublisherClient
from google.cloud.pubsub_v1.publisher import exceptions as publisher_errors
from google.cloud.pubsub_v1.types import BatchSettings

from signal_copier import logs
from signal_copier.core.errors import InvalidInput, Retryable
from signal_copier.core.ports import Publication
from signal_copier.core.reasons import Reason

if TYPE_CHECKING:
    from signal_copier.core.ports import Queue

TOPICS = ("messages", "intents", "broker-events")
DEAD_LETTER_SUFFIX = "-dead-letter"
ORIGIN_ATTRIBUTE = "origin_topic"  # where a message was sent (read back from dead letters)
# Keyword names of PublisherClient.publish: an attribute cannot be called like them.
_RESERVED_KEYS = frozenset({"topic", "data", "ordering_key", "retry", "timeout"})
# Pub/Sub's own limits on attributes, checked before anything is sent.
_MAX_ATTRIBUTES, _MAX_KEY_BYTES, _MAX_VALUE_BYTES = 100, 256, 1024
_TOPIC = re.compile(r"[A-Za-z][A-Za-z0-9._~%+-]{2,254}")
_log = logging.getLogger(__name__)

Message = tuple[bytes, dict[str, str]]


class QueueUnavailable(Retryable):
    """Pub/Sub did not confirm a publish in time, or refused it for now: redeliver the input."""

    reason = Reason.QUEUE_UNAVAILABLE


def dead_letter_topic(topic: str) -> str:
    """Return the dead-letter topic of a topic (`intents` → `intents-dead-letter`)."""
    return f"{topic}{DEAD_LETTER_SUFFIX}"


def batch_settings(*, max_messages: int = 100, max_latency_s: float = 0.01) -> Any:
    """Return Pub/Sub batch settings (defaults: 100 messages or 10 ms, whichever comes first)."""
    return BatchSettings(max_messages=max_messages, max_latency=max_latency_s)


class PubSubQueue:
    """Publish JSON payloads to Pub/Sub topics of one project; confirmed within a timeout."""

    def __init__(
        self,
        project: str,
        *,
        publish_timeout: float = 10.0,
        client_factory: Callable[[], PublisherClient] | None = None,
    ) -> None:
        self._project = project
        self._timeout = publish_timeout
        self._factory = client_factory or (lambda: PublisherClient(batch_settings()))
        self._client: PublisherClient | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"PubSubQueue(project={self._project!r})"

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Publish one payload; raise QueueUnavailable if it is not confirmed in time."""
        await self.publish_many(topic, [Publication(payload=payload, attributes=attributes or {})])

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Publish every payload (checked first, sent in batches); raise if any is unconfirmed.

        A failure after some messages went out is raised too: the caller is redelivered and
        publishes again, and consumers treat the duplicates as the no-ops they are.
        """
        messages = [_encode(topic, item) for item in batch]  # refuse bad input before sending
        if not messages:
            return
        client = self._publisher()
        path = client.topic_path(self._project, topic)
        # publish() takes a lock and builds a future per message: off the loop for big fan-outs.
        futures = await asyncio.to_thread(_send, client, path, messages)
        await self._confirm(topic, futures)

    async def aclose(self) -> None:
        """Flush pending batches and stop the publisher (on shutdown)."""
        self._closed = True
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.stop)

    def _publisher(self) -> PublisherClient:
        if self._closed:
            raise QueueUnavailable("the publisher is shut down")
        if self._client is None:
            self._client = self._factory()
        return self._client

    async def _confirm(self, topic: str, futures: list[Future[str]]) -> None:
        # One wake-up of the loop for the whole batch, not one per message.
        everything = asyncio.wrap_future(_all_of(futures))
        await asyncio.wait([everything], timeout=self._timeout)
        everything.cancel()  # still waiting after the timeout: stop waiting (no-op when done)
        failures = [error for f in futures if f.done() and (error := f.exception()) is not None]
        if failures:
            first = failures[0]
            _log.warning("%d of %d publishes to %s failed", len(failures), len(futures), topic)
            if not isinstance(first, _REFUSED + _RETRIED):
                raise first  # not a Pub/Sub outcome: a bug, shown as it is
            raise _translate(topic, first) from first
        pending = sum(not f.done() for f in futures)
        if pending:
            raise QueueUnavailable(
                f"{pending} of {len(futures)} messages to {topic!r} "
                f"not confirmed within {self._timeout:g}s"
            )


def _all_of(futures: list[Future[str]]) -> Future[None]:
    combined: Future[None] = Future()
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: Future[str]) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            with suppress(InvalidStateError):  # the waiter gave up (timeout) and cancelled it
                combined.set_result(None)

    for future in futures:
        future.add_done_callback(one_done)
    return combined


def _send(client: PublisherClient, path: str, messages: list[Message]) -> list[Any]:
    try:
        return [client.publish(path, data, **attributes) for data, attributes in messages]
    except _REFUSED + _RETRIED as e:
        raise _translate(path, e) from e


def _encode(topic: str, item: Publication) -> Message:
    if not isinstance(topic, str) or not _TOPIC.fullmatch(topic) or topic.startswith("goog"):
        raise InvalidInput(f"topic: not a Pub/Sub topic name: {topic!r}")
    if not isinstance(item.payload, dict):
        raise InvalidInput(f"payload for {topic!r} must be a JSON object")
    try:
        text = json.dumps(item.payload, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as e:
        raise InvalidInput(f"payload for {topic!r} is not JSON-safe: {e}") from e
    attributes = {**_attributes(topic, item.attributes), ORIGIN_ATTRIBUTE: topic}
    trace = logs.current_trace()
    if trace:
        attributes.setdefault("trace", trace)
    return text.encode(), attributes


def _attributes(topic: str, attributes: Mapping[str, str]) -> dict[str, str]:
    if len(attributes) > _MAX_ATTRIBUTES - 2:  # room for ORIGIN_ATTRIBUTE and `trace`
        raise InvalidInput(f"attributes for {topic!r}: at most {_MAX_ATTRIBUTES - 2}")
    for key, value in attributes.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInput(f"attributes for {topic!r} must map strings to strings")
        if (
            not key
            or key.startswith("goog")
            or key in _RESERVED_KEYS | {ORIGIN_ATTRIBUTE}
            or len(key.encode()) > _MAX_KEY_BYTES
        ):
            raise InvalidInput(f"attributes for {topic!r}: bad key {key[:40]!r}")
        if len(value.encode()) > _MAX_VALUE_BYTES:
            raise InvalidInput(
                f"attributes for {topic!r}: {key!r} exceeds {_MAX_VALUE_BYTES} bytes"
            )
    return dict(attributes)


# One table from what Pub/Sub raises to what the caller must do. Everything a retry can fix
# (the service, quota, a missing topic or permission that an operator fixes) redelivers.
_REFUSED: tuple[type[Exception], ...] = (
    publisher_errors.MessageTooLargeError,
    google_errors.InvalidArgument,
    TypeError,
    ValueError,
)
_RETRIED: tuple[type[Exception], ...] = (
    google_errors.GoogleAPICallError,
    google_errors.RetryError,
    publisher_errors.FlowControlLimitError,
    RuntimeError,  # the publisher was stopped (shutting down)
    TimeoutError,
)


def _translate(topic: str, error: BaseException) -> Exception:
    name = type(error).__name__
    if isinstance(error, _REFUSED):
        return InvalidInput(f"Pub/Sub refused a message for {topic!r}: {name}")
    return QueueUnavailable(f"publishing to {topic!r} failed: {name}")


if TYPE_CHECKING:
    _conforms: Queue = PubSubQueue("project")
