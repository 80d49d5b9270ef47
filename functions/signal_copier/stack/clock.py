"""The replay's clock: the time the hosted functions hand their services as `now`."""

from __future__ import annotations

from datetime import datetime


class ReplayClock:
    """A clock that stands still until the replay moves it, and never goes back."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("the replay clock needs an aware UTC datetime")
        self.now = start

    def __call__(self) -> datetime:
        """Return the replay's current time."""
        return self.now

    def advance(self, at: datetime) -> datetime:
        """Move to `at` unless the clock is already later (replays may repeat a moment)."""
        self.now = max(self.now, at)
        return self.now
