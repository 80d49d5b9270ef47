"""A Telegram session against the simulated world, shaped like the Telethon adapter."""

from __future__ import annotations

import bisect
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import MessageHandler
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import Process
from signal_copier.fleet.sim.world import CLOSED, Connection, World, raw_message


class FakeSession:
    """A TelegramSession against the simulated world (shaped like the Telethon adapter)."""

    def __init__(self, world: World, process: Process, user: str) -> None:
        self._world, self._process, self._user = world, process, user
        self._handler: MessageHandler | None = None
        self._conn: Connection | None = None

    def on_message(self, handler: MessageHandler) -> None:
        """Set the handler of new and edited messages."""
        self._handler = handler

    async def connect(self) -> None:
        """Open a connection after a network round trip."""
        await self._process.sleep(self._world.rng.uniform(0.05, 0.3))
        self._conn = Connection(
            user=self._user, process=self._process, opened=self._world.loop.time()
        )
        self._world.open(self._conn)

    async def keepalive(self, disconnect_after: int) -> None:
        """Push the server-side disconnect deadline forward."""
        await self._process.gate()
        conn = self._conn
        if conn is not None and conn.open_at(self._world.loop.time()):
            conn.deadline = self._world.loop.time() + disconnect_after

    async def dialogs(self) -> list[ChatInfo]:
        """Return the chats the user is a member of."""
        await self._process.sleep(0.05)
        chats = sorted(self._world.members.get(self._user, ()))
        return [ChatInfo(chat_id=c, title=f"Channel {c}", kind="channel") for c in chats]

    async def latest_id(self, chat_id: str) -> int:
        """Return the chat's newest message id."""
        await self._process.sleep(0.02)
        posts = self._world.chats[chat_id]
        return posts[-1].message_id if posts else 0

    async def messages_after(self, chat_id: str, min_id: int) -> AsyncIterator[RawMessage]:
        """Yield messages newer than min_id, oldest first (a page per round trip)."""
        posts = self._world.chats[chat_id]
        start = bisect.bisect_right([p.message_id for p in posts], min_id)
        for n, post in enumerate(posts[start:]):
            if n % 100 == 0:
                await self._process.sleep(0.05)
            yield raw_message(chat_id, replace(post), self._world.loop.now())

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages since `since`, newest first."""
        await self._process.sleep(0.05)
        posts = [p for p in self._world.chats[chat_id][-limit:] if p.date >= since]
        now = self._world.loop.now()
        return [raw_message(chat_id, replace(p), now) for p in reversed(posts)]

    async def run_until_disconnected(self) -> None:
        """Hand every delivered message to the handler until the connection ends."""
        conn = self._conn
        if conn is None:
            return
        while True:
            item = await conn.inbox.get()
            if item is CLOSED:
                return
            await self._process.gate()  # a frozen process reads its socket only after waking
            if not conn.open_at(self._world.loop.time()):
                conn.close()
                return
            if self._handler is not None:
                await self._handler(cast(RawMessage, item))

    async def disconnect(self) -> None:
        """Close the connection (idempotent)."""
        if self._conn is not None:
            self._conn.close()


if TYPE_CHECKING:
    from signal_copier.core.ports import TelegramSession

    _world = World(SimulatedLoop(datetime.min.replace(tzinfo=UTC)), random.Random())
    _session: TelegramSession = FakeSession(_world, Process(""), "")
