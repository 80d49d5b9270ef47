"""Play a channel file through the local pipeline at a watchable pace (for `serve --replay`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from signal_copier.core.errors import CopierError
from signal_copier.core.timeline import ReplayEvent
from signal_copier.services.local import LocalPipeline

log = logging.getLogger(__name__)
Notify = Callable[[], None]


async def play(
    events: Sequence[ReplayEvent],
    pipeline: LocalPipeline,
    *,
    pace_s: float,
    started: Awaitable[None],
    notify: Notify,
) -> int:
    """Wait for `started` (the user pressed Start), then play every event; return how many.

    A message the pipeline refuses is logged and the replay goes on, as a listener would.
    """
    await started
    for event in events:
        await asyncio.sleep(pace_s)
        try:
            if event.quotes:
                await pipeline.quotes(event.quotes, event.at)
            if event.message is not None:
                await pipeline.message(event.message, event.at)
            await pipeline.sweep()
        except CopierError as e:
            log.error("replay line %d: %s", event.line, e)
        notify()
    return len(events)
