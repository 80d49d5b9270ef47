"""A Telegram session inside a listener, as scenario tests drive it: Telegram's servers, the
`messages` topic and the listener around one session (no network)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.fleet import SessionLink, Watermark, session_secret_name
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import MessageHandler, Publication
from signal_copier.fleet.sim.processes import MemoryVault
from signal_copier.services.fleet_parts import FleetDeps, FleetSettings
from signal_copier.services.fleet_publish import Publisher
from signal_copier.services.fleet_sessions import SessionRunner
from signal_copier.store.sqlite import SqliteStore

NOW = datetime(2026, 3, 2, 8, tzinfo=UTC)
USER = "tg1"


def post(chat: str, message_id: int) -> RawMessage:
    return RawMessage(
        chat_id=chat,
        message_id=message_id,
        text=f"message {message_id}",
        date=NOW - timedelta(minutes=1),
        received=NOW,
    )


class Topic:
    """The `messages` topic: remembers every publish."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Record one publish."""
        self.sent.append(payload)

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Record every publish of a batch."""
        for item in batch:
            await self.publish(topic, item.payload, attributes=item.attributes)

    def ids(self, chat: str) -> list[int]:
        """Return the message ids published for a chat, in order."""
        return [p["message_id"] for p in self.sent if p["chat_id"] == chat]


class UpdatesDuringHistory:
    """Telegram's servers as a Telethon client meets them: from `connect` on, its update loop
    hands live messages to the handler while the client is still paging through history.

    `live` maps a chat whose history read delivers, midway, those live messages of other chats.
    """

    def __init__(
        self, history: dict[str, list[RawMessage]], live: dict[str, list[RawMessage]]
    ) -> None:
        self.history, self.live = history, live
        self.handler: MessageHandler | None = None
        self.disconnected = asyncio.Event()

    def open(self, user_id: str, secret: bytes) -> UpdatesDuringHistory:
        """Return the (one) client of the session."""
        return self

    def on_message(self, handler: MessageHandler) -> None:
        """Take the live-message handler."""
        self.handler = handler

    async def connect(self) -> None:
        """Connect (always succeeds)."""

    async def dialogs(self) -> list[ChatInfo]:
        """Return every chat with history."""
        return [ChatInfo(chat_id=c, title=c, kind="channel") for c in sorted(self.history)]

    async def latest_id(self, chat_id: str) -> int:
        """Return the newest id of a chat."""
        return max((m.message_id for m in self.history[chat_id]), default=0)

    async def messages_after(self, chat_id: str, min_id: int) -> AsyncIterator[RawMessage]:
        """Yield history newer than min_id; live updates of other chats arrive meanwhile."""
        for message in [m for m in self.history[chat_id] if m.message_id > min_id]:
            for update in self.live.pop(chat_id, []):
                assert self.handler is not None
                await self.handler(update)
            yield message

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return no recent edits."""
        return []

    async def keepalive(self, disconnect_after: int) -> None:
        """Accept a ping."""

    async def run_until_disconnected(self) -> None:
        """Return at once: the scenario ends once the session is caught up."""
        self.disconnected.set()

    async def disconnect(self) -> None:
        """Close (idempotent)."""


class OneShardHost:
    """The listener as one session sees it; the lease ends once `over` is set."""

    def __init__(self, deps: FleetDeps, over: asyncio.Event) -> None:
        self.deps, self.settings = deps, FleetSettings(shards=1)
        self.publisher = Publisher(deps.queue)
        self._over = over

    def may_run(self, shard: int) -> bool:
        """Allow running until the scenario is over."""
        return not self._over.is_set()

    def epoch(self, shard: int) -> int:
        """Return the shard's epoch."""
        return 1


async def no_wait(seconds: float) -> None:
    return None


async def session_runner(
    telegram: Any, topic: Any, marks: Sequence[Watermark], chats: tuple[str, ...], over: Any
) -> SessionRunner:
    store, vault = SqliteStore(":memory:"), MemoryVault()
    await store.save_watermarks(marks)
    await vault.put(session_secret_name(USER), b"session")
    deps = FleetDeps(
        store=store, queue=topic, vault=vault, telegram=telegram, clock=lambda: NOW, sleep=no_wait
    )
    link = SessionLink(user_id=USER, shard=0, chats=chats)
    return SessionRunner(link, OneShardHost(deps, over), lambda user: None)


class WithRecent(UpdatesDuringHistory):
    """Telegram's history as `recent` reads it: newest first, posted since a time."""

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages posted since `since`, newest first."""
        found = [m for m in reversed(self.history[chat_id]) if m.date >= since]
        return found[:limit]
