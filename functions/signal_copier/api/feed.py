"""Local mode's change feed: each open page gets a queue of 'these topics changed' notices."""

from __future__ import annotations

import asyncio
from types import TracebackType


class Listener:
    """One open page's notices; use as a context manager so it unregisters on disconnect."""

    def __init__(self, feed: LocalChanges, user_id: str) -> None:
        self._feed, self.user_id = feed, user_id
        self._queue: asyncio.Queue[frozenset[str]] = asyncio.Queue(maxsize=64)

    def put(self, topics: frozenset[str]) -> None:
        """Queue a notice; a page that stopped reading loses old notices, not new ones."""
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(topics)

    async def get(self) -> frozenset[str]:
        """Wait for the next notice."""
        return await self._queue.get()

    def __enter__(self) -> Listener:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._feed.drop(self)


class LocalChanges:
    """Fan 'changed' notices out to the listening pages of one process."""

    def __init__(self) -> None:
        self._listeners: set[Listener] = set()

    def notify(self, user_id: str | None, *topics: str) -> None:
        """Tell one user's pages (or everyone's, for None) that `topics` changed."""
        for listener in list(self._listeners):
            if user_id is None or listener.user_id == user_id:
                listener.put(frozenset(topics))

    def listen(self, user_id: str) -> Listener:
        """Register a page of `user_id`."""
        listener = Listener(self, user_id)
        self._listeners.add(listener)
        return listener

    def drop(self, listener: Listener) -> None:
        """Unregister a page."""
        self._listeners.discard(listener)
