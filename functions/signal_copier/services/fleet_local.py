"""Local mode's listener: one process runs the trader's Telegram session and the pipeline.

The listener publishes to `messages` as in the cloud; here that topic is the local pipeline.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import Publication
from signal_copier.services.deps import MESSAGES_TOPIC
from signal_copier.services.fleet import FleetDeps, FleetSettings, Listener
from signal_copier.services.local import LocalPipeline


class PipelineQueue:
    """The `messages` topic delivered straight into the local pipeline, one at a time."""

    def __init__(self, pipeline: LocalPipeline, clock: Callable[[], datetime]) -> None:
        self._pipeline, self._clock = pipeline, clock
        self._lock = asyncio.Lock()  # the local pipeline handles one message at a time
        self.handled = 0

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Run one published message through the pipeline."""
        if topic != MESSAGES_TOPIC:
            raise InvalidInput(
                f"the local listener publishes to {MESSAGES_TOPIC!r} only, not {topic!r}"
            )
        message = codec.from_dict(RawMessage, payload)
        async with self._lock:
            await self._pipeline.message(message, self._clock())
            self.handled += 1

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Run each message of a batch through the pipeline."""
        for item in batch:
            await self.publish(topic, item.payload, attributes=item.attributes)


async def listen(deps: FleetDeps, stop: asyncio.Event, owner: str = "local") -> Listener:
    """Run one listener (it owns every shard it finds) until `stop`, then drain it."""
    listener = Listener(deps, FleetSettings(), owner)
    await listener.run(stop)
    return listener
