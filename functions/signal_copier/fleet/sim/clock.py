"""An asyncio event loop on simulated time: whenever nothing is ready, time jumps to the next timer.

The listener code runs unchanged (asyncio.sleep, tasks, cancellation); only the loop's clock is
virtual, through the public extension points: `time()` and the selector the loop polls.
"""

from __future__ import annotations

import asyncio
import selectors
from datetime import datetime, timedelta
from typing import Any


class _Clock:
    def __init__(self) -> None:
        self.seconds = 0.0


class _JumpingSelector(selectors.DefaultSelector):
    """Never waits: a poll with a timeout advances the simulated clock by that timeout."""

    def __init__(self, clock: _Clock) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[Any]:
        if timeout is None:
            raise RuntimeError("simulation stalled: every task waits and no timer is set")
        self._clock.seconds += max(timeout, 0.0)
        return list(super().select(0))


class SimulatedLoop(asyncio.SelectorEventLoop):
    """An event loop whose time() is simulated seconds since `start`."""

    def __init__(self, start: datetime) -> None:
        self._clock = _Clock()
        self.start = start
        super().__init__(_JumpingSelector(self._clock))

    def time(self) -> float:
        """Return simulated seconds."""
        return self._clock.seconds

    def now(self) -> datetime:
        """Return the simulated wall-clock time."""
        return self.start + timedelta(seconds=self._clock.seconds)
