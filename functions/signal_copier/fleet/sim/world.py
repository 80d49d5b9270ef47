"""The simulated world around real listeners: processes that pause and crash, a slow store, and a
Telegram that posts messages, delivers them to connected sessions and notices double owners.

Telegram is modelled as the listener code relies on it: a session connection stays open until
its client disconnects, its process dies, or the delay the last keepalive asked for passes
without another ping (MTProto ping_delay_disconnect). Two open connections of one session at
the same time are a double-owner event (in reality: AuthKeyDuplicatedError).
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from signal_copier.core import ids
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.core.ports import Publication
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import Process

if TYPE_CHECKING:
    from signal_copier.fleet.sim.session import FakeSession


@dataclass(slots=True)
class Published:
    """What the listeners sent to `messages`, for the final accounting."""

    count: Counter[str] = field(default_factory=Counter)
    stale_epoch: int = 0


class RecordingQueue:
    """The `messages` topic as one process publishes to it (takes time, records every send)."""

    def __init__(self, world: World, process: Process) -> None:
        self._world, self._process = world, process

    async def publish(self, topic: str, payload: dict[str, Any], *, attributes: Any = None) -> None:
        """Record one publish after a short delay."""
        await self._process.sleep(self._world.rng.uniform(0.001, 0.010))
        self._world.record(payload, dict(attributes or {}))

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Record every publish of a batch."""
        for item in batch:
            await self.publish(topic, item.payload, attributes=item.attributes)


CLOSED = object()  # what a closed connection hands its reader last


@dataclass(eq=False, slots=True, kw_only=True)
class Connection:
    """One open MTProto connection of a session, as Telegram's servers see it."""

    user: str
    process: Process
    opened: float
    deadline: float | None = None  # the server closes it then, unless pinged again
    closed: bool = False
    inbox: asyncio.Queue[object] = field(default_factory=asyncio.Queue)

    def open_at(self, now: float) -> bool:
        """Return whether the server still holds the connection open."""
        if self.closed or self.process.dead:
            return False
        return self.deadline is None or now <= self.deadline

    def close(self) -> None:
        """Close it (idempotent); the client's receive loop ends."""
        if not self.closed:
            self.closed = True
            self.inbox.put_nowait(CLOSED)


@dataclass(slots=True, kw_only=True)
class Post:
    """One message as the channel holds it now."""

    message_id: int
    text: str
    date: datetime
    edit_date: datetime | None = None


class World:
    """Telegram, as the fleet's sessions see it."""

    def __init__(self, loop: SimulatedLoop, rng: random.Random) -> None:
        self.loop, self.rng = loop, rng
        self.chats: dict[str, list[Post]] = {}
        self.members: dict[str, set[str]] = {}  # user → chats
        self.followers: dict[str, set[str]] = {}  # chat → users
        self.connections: dict[str, list[Connection]] = {}
        self.double_owner_events = 0
        self.published = Published()
        self.epochs: dict[str, int] = {}  # user → newest epoch seen publishing for it
        self.back: list[float] = []  # session outages: failure → next connection, seconds
        self._down: dict[str, float] = {}  # user → when its connection was lost

    def add_chat(self, chat: str) -> None:
        """Create an empty channel."""
        self.chats[chat] = []
        self.followers[chat] = set()

    def join(self, user: str, chat: str) -> None:
        """Make the user a member (their session can read it)."""
        self.members.setdefault(user, set()).add(chat)
        self.followers[chat].add(user)

    def post(self, chat: str) -> tuple[str, int, int]:
        """Post a new message now and deliver it; return its key parts."""
        posts, now = self.chats[chat], self.loop.now()
        post = Post(
            message_id=(posts[-1].message_id + 1) if posts else 1, text=f"m{len(posts)}", date=now
        )
        posts.append(post)
        self._deliver(chat, post)
        return chat, post.message_id, 0

    def edit(self, chat: str, back: int) -> tuple[str, int, int] | None:
        """Edit one of the chat's last `back` messages now and deliver the edit."""
        posts, now = self.chats[chat], self.loop.now()
        if not posts:
            return None
        post = self.rng.choice(posts[-back:])
        if post.edit_date is not None and int(post.edit_date.timestamp()) == int(now.timestamp()):
            return None  # one edit per message per second keeps versions distinct
        post.text, post.edit_date = f"{post.text}+", now
        self._deliver(chat, post)
        return chat, post.message_id, post_version(post)

    def delete(self, chat: str, message_id: int) -> tuple[str, int, int]:
        """Delete a message now and deliver the deletion (as Telegram does for a channel)."""
        now = self.loop.now()
        self.chats[chat] = [p for p in self.chats[chat] if p.message_id != message_id]
        deletion = RawMessage(
            chat_id=chat,
            message_id=message_id,
            text="",
            date=now,
            received=now,
            kind=MessageKind.DELETION,
        )
        self._send(chat, deletion)
        return chat, message_id, ids.DELETED_VERSION

    def session(self, process: Process, user: str) -> FakeSession:
        """Return a client of the user's session running in `process`."""
        from signal_copier.fleet.sim.session import FakeSession  # it builds on this module

        return FakeSession(self, process, user)

    def open(self, connection: Connection) -> None:
        """Register a new connection; count a double owner if another is still open."""
        now = self.loop.time()
        others = [c for c in self.connections.get(connection.user, []) if c.open_at(now)]
        if others:
            self.double_owner_events += 1
        self.connections[connection.user] = [*others, connection]
        down = self._down.pop(connection.user, None)
        if down is not None:
            self.back.append(now - down)

    def failed(self, process: Process) -> None:
        """Note that every session open in `process` is down from now (crash or pause)."""
        now = self.loop.time()
        for user, conns in self.connections.items():
            if any(c.process is process and c.open_at(now) for c in conns):
                self._down.setdefault(user, now)
        if process.dead:
            for conns in self.connections.values():
                for c in conns:
                    if c.process is process:
                        c.close()

    def running(self) -> int:
        """Return how many sessions have an open connection now."""
        now = self.loop.time()
        return sum(1 for conns in self.connections.values() if any(c.open_at(now) for c in conns))

    def record(self, payload: dict[str, Any], attributes: dict[str, str]) -> None:
        """Count one publish (and whether it came from an outdated epoch)."""
        key = f"{payload['chat_id']}:{payload['message_id']}:{_version(payload)}"
        self.published.count[key] += 1
        user, epoch = attributes["user"], int(attributes["epoch"])
        if epoch < self.epochs.get(user, 0):
            self.published.stale_epoch += 1
        self.epochs[user] = max(self.epochs.get(user, 0), epoch)

    def _deliver(self, chat: str, post: Post) -> None:
        self._send(chat, raw_message(chat, post, self.loop.now()))

    def _send(self, chat: str, message: RawMessage) -> None:
        now = self.loop.time()
        for user in self.followers[chat]:
            for conn in self.connections.get(user, []):
                if conn.open_at(now):
                    conn.inbox.put_nowait(message)


def _version(payload: dict[str, Any]) -> int:
    if payload.get("kind") == MessageKind.DELETION:
        return ids.DELETED_VERSION
    edit = payload.get("edit_date")
    at = None if edit is None else datetime.fromisoformat(edit.replace("Z", "+00:00"))
    return ids.message_version(None if at is None else int(at.timestamp()), payload["text"])


def post_version(post: Post) -> int:
    """Return the version key of a post as it stands now (the pipeline's rule)."""
    edited = None if post.edit_date is None else int(post.edit_date.timestamp())
    return ids.message_version(edited, post.text)


def raw_message(chat: str, post: Post, now: datetime) -> RawMessage:
    """Return a post as the session hands it to the listener."""
    return RawMessage(
        chat_id=chat,
        message_id=post.message_id,
        text=post.text,
        date=post.date,
        received=now,
        edit_date=post.edit_date,
        chat_title=f"Channel {chat}",
    )


if TYPE_CHECKING:
    from signal_copier.core.ports import Queue

    _queue: Queue = RecordingQueue(
        World(SimulatedLoop(datetime.min.replace(tzinfo=UTC)), random.Random()), Process("")
    )
