"""Round 6 of the hostile review: the paths around the engine — listeners, entry points, the API.

Each test is a scenario in which a trader silently missed a message, or one user's request acted
on another user's account, before its fix.
"""

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


def _post(chat: str, message_id: int) -> RawMessage:
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
    """The listener as one session sees it; the lease ends once the session is caught up."""

    def __init__(self, deps: FleetDeps, caught_up: asyncio.Event) -> None:
        self.deps, self.settings = deps, FleetSettings(shards=1)
        self.publisher = Publisher(deps.queue)
        self._caught_up = caught_up

    def may_run(self, shard: int) -> bool:
        """Allow running until the session reached its live loop once."""
        return not self._caught_up.is_set()

    def epoch(self, shard: int) -> int:
        """Return the shard's epoch."""
        return 1


async def _no_wait(seconds: float) -> None:
    return None


async def test_a_live_message_in_one_chat_while_another_chat_is_gap_filled_loses_no_gap() -> None:
    # Before: a live message of chat B, delivered while chat A's gap was still being filled,
    # moved B's mark to its id before B's own fill began; B's fill then started after that id
    # and the messages posted in B during the outage were never published.
    # Arrange: marks A@10, B@900; during the outage B got 901..999, then 1000 arrives live
    # while A's gap (11, 12) is being read
    chat_a, chat_b = "-1001", "-1002"
    store = SqliteStore(":memory:")
    await store.save_watermarks(
        [
            Watermark(user_id=USER, chat_id=chat_a, message_id=10, seen_at=NOW),
            Watermark(user_id=USER, chat_id=chat_b, message_id=900, seen_at=NOW),
        ]
    )
    telegram = UpdatesDuringHistory(
        history={
            chat_a: [_post(chat_a, 11), _post(chat_a, 12)],
            chat_b: [_post(chat_b, n) for n in range(901, 1001)],
        },
        live={chat_a: [_post(chat_b, 1000)]},
    )
    vault, topic = MemoryVault(), Topic()
    await vault.put(session_secret_name(USER), b"session")
    deps = FleetDeps(
        store=store, queue=topic, vault=vault, telegram=telegram, clock=lambda: NOW, sleep=_no_wait
    )
    link = SessionLink(user_id=USER, shard=0, chats=(chat_a, chat_b))
    runner = SessionRunner(link, OneShardHost(deps, telegram.disconnected), lambda user: None)

    # Act
    await runner.run()

    # Assert: every message of B's outage is published, once
    assert sorted(topic.ids(chat_b)) == list(range(901, 1001))
    assert topic.ids(chat_a) == [11, 12]
    mark = runner.marks.get(chat_b)
    assert mark is not None and mark.message_id == 1000
