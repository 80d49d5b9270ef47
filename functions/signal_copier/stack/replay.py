"""A replay fed through the cloud path: publish to Pub/Sub, then wait until all is handled.

The moves are those of the local pipeline (services/local.py) with Pub/Sub in between: quotes
move paper prices and the fills and SL/TP hits they cause are published to `broker-events`
(with the user they belong to); a message is published to `messages`; the sweep runs every
simulated minute. After each step the replay's clock stands still until nothing is in flight,
so every handler sees the time the local stack would have given it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec
from signal_copier.core.errors import Rejected
from signal_copier.core.market import BrokerEvent
from signal_copier.core.model import RawMessage
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, MESSAGES_TOPIC, Deps
from signal_copier.services.sweep import PUSHED_EVENTS, run_sweep
from signal_copier.stack.clock import ReplayClock
from signal_copier.stack.tracking import DeliveryTracker

log = logging.getLogger(__name__)
SWEEP_EVERY_S = 60.0


class StackReplay:
    """Drive one replay's events through Pub/Sub and the hosted functions."""

    def __init__(
        self,
        deps: Deps,
        paper: PaperBroker,
        clock: ReplayClock,
        tracker: DeliveryTracker,
        *,
        owners: Mapping[str, str],
        copies: int = 1,
        settle_timeout: float = 300.0,
    ) -> None:
        if copies < 1:
            raise ValueError("copies must be at least 1")
        self.deps, self._paper, self._clock, self._tracker = deps, paper, clock, tracker
        self._owners = dict(owners)  # paper account id → user id (as onboarded)
        self._copies = copies  # each publish this many times (several listeners, retries)
        self._settle_timeout = settle_timeout
        self._last_sweep = clock.now
        self.latencies_ms: list[float] = []

    async def quotes(self, quotes: Mapping[str, tuple[Decimal, Decimal]], at: datetime) -> None:
        """Move paper prices; publish the fills and SL/TP hits; wait until they are handled."""
        now = self._clock.advance(at)
        for symbol, prices in quotes.items():  # one bad symbol must not lose the others
            try:
                events = self._paper.set_quotes({symbol: prices}, now)
            except Rejected as e:
                log.error("ignoring the quote for %s: %s", symbol, e)
                continue
            for event in events:
                await self._publish_event(event)
        await self._settle()

    async def message(self, message: RawMessage, at: datetime) -> None:
        """Publish one channel message; wait until it and all it caused are handled."""
        now = self._clock.advance(at)
        self._paper.advance(now)
        started = time.perf_counter()
        attributes = {"chat": message.chat_id, "trace": message.id}
        for _ in range(self._copies):
            await self.deps.queue.publish(
                MESSAGES_TOPIC, codec.to_dict(message), attributes=attributes
            )
        await self._settle()
        self.latencies_ms.append((time.perf_counter() - started) * 1000)

    async def sweep(self) -> None:
        """Run the sweep when a simulated minute passed since the last; wait for what it sent."""
        now = self._clock.now
        if (now - self._last_sweep).total_seconds() < SWEEP_EVERY_S:
            return
        self._last_sweep = now
        # The paper broker publishes its own events: no deal polling, as in the local stack.
        report = await run_sweep(self.deps, now, PUSHED_EVENTS)
        if not report.ok:
            log.error("sweep steps failed: %s", report.failed)
        await self._settle()

    async def _publish_event(self, event: BrokerEvent) -> None:
        owner = await self.deps.store.account_owner(event.account_id)
        owner = owner or self._owners.get(event.account_id)
        if owner is None:
            return  # nobody's account: nothing to manage
        payload: dict[str, Any] = codec.to_dict(event)
        for _ in range(self._copies):
            await self.deps.queue.publish(BROKER_EVENTS_TOPIC, payload, attributes={"user": owner})

    async def _settle(self) -> None:
        await self._tracker.settle(self._settle_timeout)
