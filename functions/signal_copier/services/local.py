"""Local mode: the whole pipeline in one process, on a simulated or real clock."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput, Rejected
from signal_copier.core.market import BrokerEvent
from signal_copier.core.model import Intent, RawMessage
from signal_copier.core.records import MessageRecord
from signal_copier.services.broker_events import handle_delivery
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, INTENTS_TOPIC, Deps
from signal_copier.services.pipeline import execute_intent, handle_message, record_failure
from signal_copier.services.polling import KIND_ATTRIBUTE
from signal_copier.services.sweep import PUSHED_EVENTS, STEPS, run_sweep

log = logging.getLogger(__name__)
Handler = Callable[[dict[str, Any]], Awaitable[None]]
AttributeHandler = Callable[[dict[str, Any], Mapping[str, str]], Awaitable[None]]


class DeliveringQueue(Protocol):
    """A queue that delivers in this process (the in-process adapter)."""

    dead_letters: list[tuple[str, dict[str, Any], Exception]]
    on_backoff: Callable[[float], None] | None

    def subscribe(self, topic: str, handler: Handler) -> None: ...

    def subscribe_with_attributes(self, topic: str, handler: AttributeHandler) -> None: ...

    async def drain(self) -> None: ...

    def recorded(self, dead_letter: int) -> None: ...


class PriceFeed(Protocol):
    """A broker whose prices and clock the runner sets (the paper adapter)."""

    def set_quotes(
        self, quotes: Mapping[str, tuple[Decimal, Decimal]], now: datetime
    ) -> list[BrokerEvent]: ...

    def advance(self, now: datetime) -> None: ...


class LocalPipeline:
    """Feed messages and quotes through handle_message → intents → execute_intent."""

    def __init__(
        self,
        deps: Deps,
        queue: DeliveringQueue,
        feed: PriceFeed,
        owners: Mapping[str, str],
        start: datetime,
        *,
        clock_per_message: bool = False,
        poll_deals: bool = False,
    ) -> None:
        # Broker writes are fenced against the claim's lease on the pipeline's clock (not when
        # each delivery is handled at its own message's time: then there is no one clock).
        clock = None if clock_per_message else self._clock
        self.deps, self._queue, self._feed = replace(deps, clock=clock), queue, feed
        self._owners = dict(owners)  # broker account id → user id
        self.now = start
        # True: each delivery is handled at its own message's time (only order and count then
        # differ between two runs of the same messages); False: at the latest time seen.
        self._clock_per_message = clock_per_message
        # The paper broker reports fills and SL/TP hits itself; a real account is polled.
        self._sweep_steps = STEPS if poll_deals else PUSHED_EVENTS
        self.latencies_ms: list[float] = []
        self._last_sweep = start
        self._dead_seen = 0
        queue.subscribe(INTENTS_TOPIC, self._on_intent)
        queue.subscribe_with_attributes(BROKER_EVENTS_TOPIC, self._on_broker_event)
        queue.on_backoff = self._backoff  # a redelivery waits on the simulated clock

    async def quotes(self, quotes: Mapping[str, tuple[Decimal, Decimal]], at: datetime) -> None:
        """Move prices (fills, SL/TP hits follow) and act on what the account did."""
        self._tick(at)
        for symbol, prices in quotes.items():  # one bad symbol must not lose the others
            try:
                events = self._feed.set_quotes({symbol: prices}, self.now)
            except Rejected as e:
                log.error("ignoring the quote for %s: %s", symbol, e)
                continue
            if self._sweep_steps is PUSHED_EVENTS:  # else the sweep finds them in the deals
                for event in events:
                    await self.deps.queue.publish(BROKER_EVENTS_TOPIC, codec.to_dict(event))
        await self._drain()

    async def message(self, message: RawMessage, at: datetime) -> MessageRecord | None:
        """Run one message through the pipeline; returns its record (None for a duplicate)."""
        self._tick(at)
        self._feed.advance(self.now)
        started = time.perf_counter()
        when = message.received if self._clock_per_message else self.now
        record = await handle_message(message, self.deps, when)
        await self._drain()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        return record

    async def sweep(self, at: datetime | None = None, *, force: bool = False) -> None:
        """Run the upkeep steps (about once a simulated minute, as the cloud's scheduler does)."""
        if at is not None:
            self._tick(at)
            self._feed.advance(self.now)
        if not force and (self.now - self._last_sweep).total_seconds() < 60:
            return
        self._last_sweep = self.now
        report = await run_sweep(self.deps, self.now, self._sweep_steps)
        if not report.ok:
            log.error("sweep steps failed: %s", report.failed)
        await self._drain()

    def add_owner(self, account_id: str, user_id: str) -> None:
        """Route a broker account's events to its user (accounts the store knows are routed)."""
        self._owners[account_id] = user_id

    async def _drain(self) -> None:
        await self._queue.drain()
        while self._dead_seen < len(self._queue.dead_letters):
            topic, payload, error = self._queue.dead_letters[self._dead_seen]
            if topic == INTENTS_TOPIC:
                intent = codec.from_dict(Intent, payload)
                await record_failure(intent, error, self.deps, self.now)
            self._queue.recorded(self._dead_seen)
            self._dead_seen += 1

    def _tick(self, at: datetime) -> None:
        self.now = max(self.now, at)

    def _clock(self) -> datetime:
        return self.now

    def _backoff(self, seconds: float) -> None:
        self._tick(self.now + timedelta(seconds=seconds))
        self._feed.advance(self.now)

    async def _on_intent(self, payload: dict[str, Any]) -> None:
        try:
            intent = codec.from_dict(Intent, payload)
        except Rejected as e:
            log.error("dropping a malformed intent: %s", e)
            return
        when = intent.received if self._clock_per_message else self.now
        try:
            await execute_intent(intent, self.deps, when)
        except InvalidInput as e:
            log.error("dropping an intent that is not genuine: %s", e)

    async def _on_broker_event(
        self, payload: dict[str, Any], attributes: Mapping[str, str]
    ) -> None:
        # A poll, or an event from the paper broker (routed here to its account's owner), goes
        # where on_broker_event sends it. Rejected is acknowledged, as Pub/Sub's push is.
        try:
            if KIND_ATTRIBUTE not in attributes and "user" not in attributes:
                owner = await self._owner(codec.from_dict(BrokerEvent, payload).account_id)
                if owner is None:
                    return
                attributes = {**attributes, "user": owner}
            await handle_delivery(payload, attributes, self.deps, self.now)
        except Rejected as e:
            log.error("dropping a broker-events message: %s", e)

    async def _owner(self, account_id: str) -> str | None:
        owner = await self.deps.store.account_owner(account_id)
        return owner or self._owners.get(account_id)
