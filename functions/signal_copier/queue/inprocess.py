"""In-process queue for local mode and tests: Pub/Sub's at-least-once semantics in one loop.

Like Pub/Sub without ordering keys, nothing promises order: with a `seed` it delivers in a random
(reproducible) order and each publish a random number of times, so tests prove the services are
correct for any order and any number of deliveries. A failed delivery is retried after Pub/Sub's
backoff, reported to `on_backoff` (a simulated clock advances by it).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import Publication

if TYPE_CHECKING:
    from signal_copier.core.ports import Queue

Handler = Callable[[dict[str, Any]], Awaitable[None]]
# A handler that also reads the message's attributes (what tells a poll from a broker event).
AttributeHandler = Callable[[dict[str, Any], Mapping[str, str]], Awaitable[None]]
_log = logging.getLogger(__name__)
# Built once: json.dumps with an option set builds an encoder on every call.
_WIRE = json.JSONEncoder(allow_nan=False)


class Journal(Protocol):
    """Where a durable queue keeps what it has not yet handled (store/sqlite/outbox.py)."""

    def keep(self, topic: str, data: str, attributes: Mapping[str, str]) -> int: ...

    def forget(self, seq: int) -> None: ...

    def kept(self) -> list[tuple[int, str, str, dict[str, str]]]: ...


@dataclass(slots=True, kw_only=True)
class _Envelope:
    topic: str
    data: str  # the payload as it would travel on the wire
    attributes: dict[str, str] = field(default_factory=dict)
    attempt: int = 0
    seq: int | None = None  # its journal row, in a durable queue


def pubsub_backoff(attempt: int) -> float:
    """Return the wait after failed attempt `attempt`: 5 s doubling up to 300 s (timing table)."""
    return float(min(5 * 2 ** (attempt - 1), 300))


class InProcessQueue:
    """Deliver published payloads to one handler per topic, redelivering on failure."""

    def __init__(
        self,
        *,
        max_attempts: int = 15,
        concurrency: int = 1,
        duplicates: int = 1,
        seed: int | None = None,
        max_duplicates: int = 1,
        on_backoff: Callable[[float], None] | None = None,
        journal: Journal | None = None,
    ) -> None:
        """`journal`: keep each publication until it is handled, and deliver what it kept."""
        if journal is not None and (seed is not None or max(duplicates, max_duplicates) > 1):
            raise ValueError("a journaled queue delivers each publication once, in order")
        if max_attempts < 1 or concurrency < 1 or duplicates < 1:
            raise ValueError("max_attempts, concurrency and duplicates must be at least 1")
        self.max_attempts = max_attempts
        self.concurrency = concurrency
        self.duplicates = duplicates
        self.max_duplicates = max(duplicates, max_duplicates)
        self.on_backoff = on_backoff
        self._random = random.Random(seed) if seed is not None else None
        self.delivered = 0  # handler calls, redeliveries included
        self.redelivered = 0  # handler calls after a failed one
        self.dead_lettered = 0
        self.dead_letters: list[tuple[str, dict[str, Any], Exception]] = []
        self._handlers: dict[str, AttributeHandler] = {}
        self._ready: deque[_Envelope] = deque()
        self._parked: dict[str, list[_Envelope]] = {}  # topics nobody subscribed to yet
        self._journal = journal
        self._dead_seqs: list[int | None] = []
        for seq, topic, data, attributes in journal.kept() if journal is not None else ():
            self._enqueue(_Envelope(topic=topic, data=data, attributes=attributes, seq=seq))

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Queue a JSON-safe payload (`duplicates` times); raise InvalidInput if it is not."""
        if not isinstance(payload, dict):
            raise InvalidInput(f"payload for {topic!r} must be a JSON object")
        try:
            data = _WIRE.encode(payload)
        except (TypeError, ValueError) as e:
            raise InvalidInput(f"payload for {topic!r} is not JSON-safe: {e}") from e
        labels = _attributes(topic, attributes)
        copies = self.duplicates
        if self._random is not None:
            copies = self._random.randint(self.duplicates, self.max_duplicates)
        for _ in range(copies):
            envelope = _Envelope(topic=topic, data=data, attributes=dict(labels))
            if self._journal is not None:
                envelope.seq = self._journal.keep(topic, data, labels)
            self._enqueue(envelope)

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Queue every payload of a fan-out (each checked like `publish`)."""
        for item in batch:
            await self.publish(topic, item.payload, attributes=item.attributes)

    def subscribe(self, topic: str, handler: Handler) -> None:
        """Set the one handler of a topic; messages already waiting for it become deliverable."""

        async def payload_only(payload: dict[str, Any], attributes: Mapping[str, str]) -> None:
            await handler(payload)

        self.subscribe_with_attributes(topic, payload_only)

    def subscribe_with_attributes(self, topic: str, handler: AttributeHandler) -> None:
        """Set the one handler of a topic, called with each payload and its attributes."""
        if topic in self._handlers:
            raise ValueError(f"topic {topic!r} already has a handler")
        self._handlers[topic] = handler
        self._ready.extend(self._parked.pop(topic, []))

    def pending(self, topic: str) -> list[dict[str, Any]]:
        """Return the payloads of a topic not yet delivered successfully, in queue order."""
        waiting = [e for e in self._ready if e.topic == topic] + self._parked.get(topic, [])
        return [json.loads(e.data) for e in waiting]

    async def drain(self) -> None:
        """Deliver until every subscribed topic is empty, including what handlers publish."""
        if self.concurrency == 1:
            await self._drain_serially()
            return
        running: dict[asyncio.Task[None], _Envelope] = {}
        try:
            while True:
                while len(running) < self.concurrency and (envelope := self._next()):
                    running[asyncio.create_task(self._deliver(envelope))] = envelope
                if not running:
                    return
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del running[task]
        finally:  # drain() itself was cancelled: put unfinished messages back, never lose them
            for task, envelope in running.items():
                if not task.done():
                    task.cancel()
                    self._ready.appendleft(envelope)

    async def _drain_serially(self) -> None:
        # One delivery at a time needs no task (and no loop turns) per delivery: each handler
        # runs to its end in this task, as a lone task would, before the next one starts.
        while (envelope := self._next()) is not None:
            try:
                await self._deliver(envelope)
            except BaseException:  # cancelled mid-delivery: put it back, never lose it
                self._ready.appendleft(envelope)
                raise

    def _enqueue(self, envelope: _Envelope) -> None:
        if envelope.topic in self._handlers:
            self._ready.append(envelope)
        else:
            self._parked.setdefault(envelope.topic, []).append(envelope)

    def _next(self) -> _Envelope | None:
        if not self._ready:
            return None
        if self._random is None:
            return self._ready.popleft()
        index = self._random.randrange(len(self._ready))
        envelope = self._ready[index]
        del self._ready[index]
        return envelope

    async def _deliver(self, envelope: _Envelope) -> None:
        envelope.attempt += 1
        self.delivered += 1
        if envelope.attempt > 1:
            self.redelivered += 1
            if self.on_backoff is not None:
                self.on_backoff(pubsub_backoff(envelope.attempt - 1))
        try:
            handler = self._handlers[envelope.topic]
            await handler(json.loads(envelope.data), dict(envelope.attributes))
        except Exception as e:  # like Pub/Sub: any exception means "redeliver", never "drop"
            self._failed(envelope, e)
        else:
            self._forget(envelope)

    def _failed(self, envelope: _Envelope, error: Exception) -> None:
        _log.warning(
            "handler of %s failed (attempt %d of %d): %s",
            envelope.topic,
            envelope.attempt,
            self.max_attempts,
            type(error).__name__,
        )
        if envelope.attempt >= self.max_attempts:
            self.dead_lettered += 1
            self.dead_letters.append((envelope.topic, json.loads(envelope.data), error))
            self._dead_seqs.append(envelope.seq)  # journaled until its failure is recorded
        else:
            self._ready.append(envelope)  # the back of the queue stands in for backoff

    def recorded(self, dead_letter: int) -> None:
        """Say that `dead_letters[dead_letter]` is recorded: a durable queue forgets it now."""
        seq = self._dead_seqs[dead_letter]
        if self._journal is not None and seq is not None:
            self._journal.forget(seq)

    def _forget(self, envelope: _Envelope) -> None:
        if self._journal is not None and envelope.seq is not None:
            self._journal.forget(envelope.seq)


def _attributes(topic: str, attributes: Mapping[str, str] | None) -> Mapping[str, str]:
    # Pub/Sub takes string attributes only: refuse anything else here too.
    for key, value in (attributes or {}).items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise InvalidInput(f"attributes for {topic!r} must map strings to strings")
    return attributes or {}


if TYPE_CHECKING:
    _conforms: Queue = InProcessQueue()
