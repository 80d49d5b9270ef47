"""What is still in flight on the stack: every published message until its function answers 2xx.

Each function app is wrapped by `DeliveryTracker.track`, which notes every push it answers (by
the subscription and message id in the push body); the topology's observers say what was
published. The stack is settled when no push is being answered and every message published on
a topic was acknowledged by its function, or dead-lettered with its copy acknowledged by
`on_dead_letter`. Until then a redelivery is owed, so the demo must not move its clock on.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, defaultdict
from typing import Protocol

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signal_copier.stack.topology import Observed

POLL_S = 0.05  # how often a busy stack is looked at again


class Observer(Protocol):
    """Where the tracker learns what was published (the topology's observers)."""

    async def observe(self) -> list[Observed]: ...


class StackStuck(RuntimeError):
    """Messages were still unhandled when the wait ran out (names how many, per topic)."""


class DeliveryTracker:
    """Count pushes being answered, and which published messages their functions acknowledged."""

    def __init__(self, observer: Observer) -> None:
        self._observer = observer
        self.in_progress = 0
        self.refused = 0  # pushes answered with an error: Pub/Sub redelivers them
        self._activity = 0  # bumped whenever a push starts or ends
        self._published: dict[str, dict[str, str]] = defaultdict(dict)  # topic → id → print
        self._acked: dict[str, set[str]] = defaultdict(set)
        self._dead: dict[str, Counter[str]] = defaultdict(Counter)  # topic → fingerprints

    def track(self, app: ASGIApp) -> ASGIApp:
        """Return `app` wrapped so that every push it answers is counted."""
        return _Tracked(app, self)

    def started(self) -> None:
        """Note a push being answered."""
        self.in_progress += 1
        self._activity += 1

    def answered(self, subscription: str, message_id: str, status: int) -> None:
        """Note a push answered with `status` (2xx acknowledges it)."""
        self.in_progress -= 1
        self._activity += 1
        if not 200 <= status < 300:
            self.refused += 1
        elif message_id:
            topic = subscription.rsplit("/", 1)[-1].removesuffix("-push")
            self._acked[topic].add(message_id)

    def outstanding(self) -> dict[str, int]:
        """Return, per topic, how many published messages are not handled yet."""
        waiting = {}
        for topic, published in self._published.items():
            dead = Counter(self._dead[topic])
            left = 0
            for message_id, fingerprint in published.items():
                if message_id in self._acked[topic]:
                    continue
                if dead[fingerprint] > 0:  # gave up on and dead-lettered: its copy counts
                    dead[fingerprint] -= 1
                    continue
                left += 1
            if left:
                waiting[topic] = left
        return waiting

    async def settle(self, within_s: float) -> None:
        """Wait until nothing is in flight; raise StackStuck after `within_s` seconds."""
        deadline = time.monotonic() + within_s
        while True:
            if self.in_progress == 0:
                mark = self._activity
                self._note(await self._observer.observe())
                # Quiet all along: everything a handler published was published before `mark`.
                if self.in_progress == 0 and mark == self._activity and not self.outstanding():
                    return
            if time.monotonic() > deadline:
                raise StackStuck(
                    f"after {within_s:g} s still unhandled: {self.outstanding() or 'none'}, "
                    f"{self.in_progress} pushes being answered"
                )
            await asyncio.sleep(POLL_S)

    def _note(self, observed: list[Observed]) -> None:
        for item in observed:
            self._published[item.topic][item.message_id] = item.fingerprint
            if item.dead_letter_of:
                self._dead[item.dead_letter_of][item.fingerprint] += 1


class _Tracked:
    """ASGI middleware: read the push body, pass it on, note the answer's status."""

    def __init__(self, app: ASGIApp, tracker: DeliveryTracker) -> None:
        self._app, self._tracker = app, tracker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        body = await _read_body(receive)
        subscription, message_id = _push_ids(body)
        status, replayed = 500, False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # only a disconnect can follow
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        self._tracker.started()
        try:
            await self._app(scope, replay, sending)
        finally:
            self._tracker.answered(subscription, message_id, status)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _push_ids(body: bytes) -> tuple[str, str]:
    # Anything that is not a push envelope is answered by the function and not tracked.
    try:
        envelope = json.loads(body)
        subscription = envelope.get("subscription", "")
        message_id = envelope.get("message", {}).get("messageId", "")
    except (ValueError, AttributeError):
        return "", ""
    if not isinstance(subscription, str) or not isinstance(message_id, str):
        return "", ""
    return subscription, message_id
