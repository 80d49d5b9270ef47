"""The simulated world around real listeners: processes that pause and crash, a slow store, and a
Telegram that posts messages, delivers them to connected sessions and notices double owners.

Telegram is modelled as the listener code relies on it: a session connection stays open until
its client disconnects, its process dies, or the delay the last keepalive asked for passes
without another ping (MTProto ping_delay_disconnect). Two open connections of one session at
the same time are a double-owner event (in reality: AuthKeyDuplicatedError).
"""

from __future__ import annotations

import asyncio
import bisect
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from signal_copier.core import ids
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import FleetStore, MessageHandler, Publication
from signal_copier.fleet.sim.clock import SimulatedLoop


class ProcessDead(BaseException):
    """The simulated process crashed: whatever it was doing ends (no cleanup runs)."""


class Process:
    """One incarnation of a listener process: it runs, pauses (frozen) or is dead."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dead = False
        self.paused_since: float | None = None
        self._awake = asyncio.Event()
        self._awake.set()

    async def gate(self) -> None:
        """Return once the process runs; raise ProcessDead if it crashed meanwhile."""
        if self.dead:
            raise ProcessDead(self.name)
        if not self._awake.is_set():
            await self._awake.wait()
            if self.dead:
                raise ProcessDead(self.name)

    async def sleep(self, seconds: float) -> None:
        """Sleep; a frozen process wakes only when it is resumed."""
        await asyncio.sleep(seconds)
        await self.gate()

    def pause(self, now: float) -> None:
        """Freeze the process (its connections stay open, it does nothing)."""
        self.paused_since = now
        self._awake.clear()

    def resume(self) -> None:
        """Let the process run again."""
        self.paused_since = None
        self._awake.set()

    def crash(self) -> None:
        """Kill the process: every pending step raises ProcessDead."""
        self.dead = True
        self._awake.set()


@dataclass(frozen=True, slots=True, kw_only=True)
class Delays:
    """Store latency: most calls are quick; a few renewals hang for long (exercising fencing)."""

    low: float = 0.002
    high: float = 0.060
    slow_rate: float = 0.005
    slow: tuple[float, float] = (5.0, 40.0)


class DelayedStore:
    """A FleetStore seen from one process: every call takes simulated time, both ways."""

    def __init__(
        self, store: FleetStore, process: Process, delays: Delays, rng: random.Random
    ) -> None:
        self._store, self._process, self._delays, self._rng = store, process, delays, rng

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            delay = self._delay(name)
            await self._process.sleep(delay / 2)
            result = await method(*args, **kwargs)
            await self._process.sleep(delay / 2)
            return result

        return call

    def as_port(self) -> FleetStore:
        """Return this proxy typed as the port it stands for."""
        return cast(FleetStore, self)

    def _delay(self, name: str) -> float:
        d = self._delays
        if name == "renew" and self._rng.random() < d.slow_rate:
            return self._rng.uniform(*d.slow)
        return self._rng.uniform(d.low, d.high)


class MemoryVault:
    """Secrets in a dict (the simulated vault)."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}

    async def put(self, name: str, secret: bytes) -> None:
        """Store a secret."""
        self._secrets[name] = secret

    async def get(self, name: str) -> bytes | None:
        """Return a secret or None."""
        return self._secrets.get(name)

    async def delete(self, name: str) -> None:
        """Remove a secret."""
        self._secrets.pop(name, None)


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


_CLOSED = object()


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
            self.inbox.put_nowait(_CLOSED)


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

    def session(self, process: Process, user: str) -> FakeSession:
        """Return a client of the user's session running in `process`."""
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
        now = self.loop.time()
        message = _raw(chat, post, self.loop.now())
        for user in self.followers[chat]:
            for conn in self.connections.get(user, []):
                if conn.open_at(now):
                    conn.inbox.put_nowait(message)


def _version(payload: dict[str, Any]) -> int:
    edit = payload.get("edit_date")
    at = None if edit is None else datetime.fromisoformat(edit.replace("Z", "+00:00"))
    return ids.message_version(None if at is None else int(at.timestamp()), payload["text"])


def post_version(post: Post) -> int:
    """Return the version key of a post as it stands now (the pipeline's rule)."""
    edited = None if post.edit_date is None else int(post.edit_date.timestamp())
    return ids.message_version(edited, post.text)


def _raw(chat: str, post: Post, now: datetime) -> RawMessage:
    return RawMessage(
        chat_id=chat,
        message_id=post.message_id,
        text=post.text,
        date=post.date,
        received=now,
        edit_date=post.edit_date,
        chat_title=f"Channel {chat}",
    )


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
            yield _raw(chat_id, replace(post), self._world.loop.now())

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages since `since`, newest first."""
        await self._process.sleep(0.05)
        posts = [p for p in self._world.chats[chat_id][-limit:] if p.date >= since]
        now = self._world.loop.now()
        return [_raw(chat_id, replace(p), now) for p in reversed(posts)]

    async def run_until_disconnected(self) -> None:
        """Hand every delivered message to the handler until the connection ends."""
        conn = self._conn
        if conn is None:
            return
        while True:
            item = await conn.inbox.get()
            if item is _CLOSED:
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
    from signal_copier.core.ports import Queue, TelegramSession, Vault

    _world = World(SimulatedLoop(datetime.min.replace(tzinfo=UTC)), random.Random())
    _session: TelegramSession = FakeSession(_world, Process(""), "")
    _queue: Queue = RecordingQueue(_world, Process(""))
    _vault: Vault = MemoryVault()
