"""The listener fleet's ports: its store, Telegram sessions, and the instance scaler."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from signal_copier.core.dashboard import (
    ChatInfo,
)
from signal_copier.core.fleet import Lease, Notice, SessionHealth, SessionLink, Watermark
from signal_copier.core.leases import LeaseTiming
from signal_copier.core.model import RawMessage


class FleetStore(Protocol):
    """What the listener fleet persists. Lease calls are atomic (one transaction each).

    A session's record (`link_session`) is what lets a listener write for it: once the user
    unlinked it (`unlink_session`), a listener still stopping it writes nothing back.
    """

    async def shards(self, expiring_before: datetime) -> list[Lease]:
        """Return the shards with sessions whose lease ends before the given time, or is free.

        Healthy owners keep their leases ~40 s ahead, so a scan reads only shards that are
        takeable or about to be (cheap on Firestore, where every document read is billed).
        """
        ...

    async def acquire(
        self, shard: int, owner: str, now: datetime, timing: LeaseTiming
    ) -> Lease | None:
        """Atomically take a free, released or expired shard (epoch + 1); None if held."""
        ...

    async def renew(
        self, held: Mapping[int, int], owner: str, now: datetime, timing: LeaseTiming
    ) -> dict[int, Lease]:
        """Atomically extend the leases `owner` still holds (shard → epoch); return those."""
        ...

    async def release(self, held: Mapping[int, int], owner: str, now: datetime) -> None:
        """Hand leases back at once (their sessions are already stopped)."""
        ...

    async def sessions(self, shards: Sequence[int]) -> list[SessionLink]:
        """Return the linked sessions of these shards with the chats each user follows."""
        ...

    async def session_count(self) -> int:
        """Return how many linked (not broken) sessions the fleet must run."""
        ...

    async def link_session(self, link: SessionLink) -> None:
        """Record a freshly linked session (the secret itself is in the vault)."""
        ...

    async def break_session(self, notice: Notice, health: SessionHealth) -> bool:
        """Mark a session broken (never retried), set the bot status and tell the user.

        False, and nothing written, if the session is not recorded (the user unlinked it).
        """
        ...

    async def unlink_session(self, user_id: str) -> None:
        """Atomically forget a session the user unlinked: its record (uncounted from its
        shard), the chats it could read, its watermarks and its bot status (no-op if none).

        The listener running it stops it at its next roster read (`sessions` omits it).
        """
        ...

    async def watermarks(self, user_id: str) -> dict[str, Watermark]:
        """Return a session's watermarks by chat."""
        ...

    async def save_watermarks(self, marks: Sequence[Watermark]) -> None:
        """Write many watermarks in one batch; a mark never moves back."""
        ...

    async def put_chats(self, user_id: str, chats: Sequence[ChatInfo]) -> None:
        """Replace the set of chats the session can read (writing only what changed).

        Nothing is written for a session that is not recorded (unlinked meanwhile).
        """
        ...

    async def session_health(self, user_id: str) -> SessionHealth | None:
        """Return the health the fleet last wrote for the user's bot, or None."""
        ...

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write `users/{uid}/bot/status` (with the dashboard's fields); on change only.

        Nothing is written for a session that is not recorded (unlinked meanwhile).
        """
        ...

    async def drop_subscription(self, notice: Notice) -> None:
        """Atomically unfollow notice.chat_id (both index documents) and tell the user why."""
        ...

    async def notices(self, user_id: str) -> list[Notice]:
        """Return what the fleet told the user, oldest first."""
        ...


MessageHandler = Callable[[RawMessage], Awaitable[None]]


class TelegramSession(Protocol):
    """One user's Telegram session (a Telethon client). Errors: the TelegramError family."""

    def on_message(self, handler: MessageHandler) -> None:
        """Call `handler` for every new message, text edit and deletion in a channel.

        A deletion is a RawMessage of kind DELETION; a chat that is not a channel (a private
        chat, a basic group) does not say where its deletions happened: those are not seen.
        """
        ...

    async def connect(self) -> None:
        """Connect and check that the session is still authorised (SessionRevoked if not)."""
        ...

    async def dialogs(self) -> list[ChatInfo]:
        """Return every chat the session can read."""
        ...

    async def latest_id(self, chat_id: str) -> int:
        """Return the id of the newest message in a chat (0 if it has none)."""
        ...

    def messages_after(self, chat_id: str, min_id: int) -> AsyncIterator[RawMessage]:
        """Yield the chat's messages newer than `min_id`, oldest first."""
        ...

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages posted since `since`, newest first."""
        ...

    async def keepalive(self, disconnect_after: int) -> None:
        """Send a ping (without awaiting the answer) asking Telegram to drop the connection if
        no further ping arrives within `disconnect_after` seconds."""
        ...

    async def run_until_disconnected(self) -> None:
        """Wait until the connection ends; raise what ended it (SessionRevoked, ...)."""
        ...

    async def disconnect(self) -> None:
        """Close the connection (idempotent)."""
        ...


class TelegramSessions(Protocol):
    """Builds session clients from the secret the vault keeps."""

    def open(self, user_id: str, secret: bytes) -> TelegramSession:
        """Return an unconnected client for a stored session."""
        ...


class FleetScaler(Protocol):
    """Sets how many listeners run (the Cloud Run worker pool's instance count)."""

    async def instances(self) -> int:
        """Return the current instance count."""
        ...

    async def set_instances(self, count: int) -> None:
        """Set the instance count."""
        ...
