"""One user's Telegram session on a Telethon client (the TelegramSession port).

Clients are built with `auto_reconnect=False`: the listener's supervisor reconnects, after
checking the shard lease, so a fenced listener never dials again. Telethon does not catch up
after a reconnect (SDK_NOTES.md §2.6); the supervisor fills gaps with `messages_after`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from telethon import TelegramClient, errors, events, functions, types, utils
from telethon.sessions import StringSession

from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.fleet import ChatAccessLost, SessionRevoked
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.core.ports import MessageHandler
from signal_copier.telegram.telethon.errors import translate

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
KNOWN_IDS = 256  # recent private-chat / basic-group message ids a session can map to their chat


class TelethonSession:
    """The `TelegramSession` port on one TelegramClient."""

    def __init__(self, client: TelegramClient, clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._client, self._clock = client, clock
        self._pings: set[asyncio.Future[Any]] = set()
        # Outside channels Telegram numbers messages per account and names no chat when it
        # deletes one: the chat of each recent such id is remembered to read its deletion.
        self._chats_of: OrderedDict[int, str] = OrderedDict()

    def on_message(self, handler: MessageHandler) -> None:
        """Hand new messages, edits with an edit date and deletions to `handler`."""

        async def new(event: Any) -> None:
            message = self.raw(event.message)
            if message is not None:
                await handler(message)

        async def edited(event: Any) -> None:
            # A reaction to a never-edited message arrives as an edit without edit_date.
            if event.message.edit_date is not None:
                await new(event)

        async def deleted(event: Any) -> None:
            for message in self.deletions(event):
                await handler(message)

        self._client.add_event_handler(new, events.NewMessage())
        self._client.add_event_handler(edited, events.MessageEdited())
        self._client.add_event_handler(deleted, events.MessageDeleted())

    def deletions(self, event: Any) -> list[RawMessage]:
        """Return a MessageDeleted event as one deletion RawMessage per deleted id.

        Telegram names the chat only for channels and supergroups; in private chats and basic
        groups it sends bare ids, unique per account: those are read through the chats this
        session saw them in, and ids it never saw (older, or before a restart) are logged.
        """
        now = self._clock()
        numbers = [int(n) for n in event.deleted_ids or ()]
        if event.chat_id is None:
            found = [(self._chats_of[n], n) for n in numbers if n in self._chats_of]
            if len(found) < len(numbers):
                log.info("ignored the deletion of %d unseen message(s)", len(numbers) - len(found))
        else:
            found = [(str(event.chat_id), n) for n in numbers]
        return [
            RawMessage(
                chat_id=chat,
                message_id=number,
                text="",
                date=now,
                received=now,
                kind=MessageKind.DELETION,
            )
            for chat, number in found
        ]

    def raw(self, message: Any) -> RawMessage | None:
        """Return a Telethon Message as a RawMessage, or None if it has no text to read."""
        text = message.message or ""
        if not text.strip():
            return None
        if not isinstance(message.peer_id, types.PeerChannel):
            self._remember(message.id, message.chat_id)
        chat = getattr(message, "chat", None)
        return RawMessage(
            chat_id=str(message.chat_id),
            message_id=message.id,
            text=text,
            date=message.date.astimezone(UTC),
            received=self._clock(),
            reply_to=_reply_to(message),
            edit_date=None if message.edit_date is None else message.edit_date.astimezone(UTC),
            chat_title=str(getattr(chat, "title", "") or ""),
        )

    async def connect(self) -> None:
        """Connect and check the session is still authorised."""
        await self._guard(self._client.connect())
        if not await self._guard(self._client.is_user_authorized()):
            raise SessionRevoked("Telegram no longer accepts this session: link again")

    async def keepalive(self, disconnect_after: int) -> None:
        """Send ping_delay_disconnect without waiting for the pong (a failure is only logged)."""
        request = functions.PingDelayDisconnectRequest(
            ping_id=random.getrandbits(63), disconnect_delay=disconnect_after
        )
        ping = asyncio.ensure_future(self._client(request))
        self._pings.add(ping)
        ping.add_done_callback(self._pinged)

    async def dialogs(self) -> list[ChatInfo]:
        """Return every chat the session can read (this also caches their access hashes)."""
        found = []
        async for dialog in self._iterate(self._client.iter_dialogs()):
            kind = "channel" if dialog.is_channel else "group" if dialog.is_group else "user"
            found.append(ChatInfo(chat_id=str(dialog.id), title=dialog.name or "", kind=kind))
        return found

    async def latest_id(self, chat_id: str) -> int:
        """Return the newest message id of the chat (0 when empty)."""
        newest = await self._guard(self._client.get_messages(_peer(chat_id), limit=1))
        return newest[0].id if newest else 0

    async def messages_after(self, chat_id: str, min_id: int) -> AsyncIterator[RawMessage]:
        """Yield the chat's messages newer than `min_id`, oldest first."""
        found = self._client.iter_messages(_peer(chat_id), min_id=min_id, reverse=True)
        async for message in self._iterate(found):
            raw = self.raw(message)
            if raw is not None:
                yield raw

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages posted since `since`, newest first."""
        found = []
        async for message in self._iterate(self._client.iter_messages(_peer(chat_id), limit=limit)):
            if message.date < since:
                break
            raw = self.raw(message)
            if raw is not None:
                found.append(raw)
        return found

    async def run_until_disconnected(self) -> None:
        """Wait until the connection ends; raise what ended it, translated."""
        await self._guard(self._client.run_until_disconnected())

    async def disconnect(self) -> None:
        """Close the connection (idempotent)."""
        for ping in list(self._pings):
            ping.cancel()
        await self._client.disconnect()

    def _remember(self, number: int, chat: int) -> None:
        self._chats_of[number] = str(chat)
        self._chats_of.move_to_end(number)
        while len(self._chats_of) > KNOWN_IDS:
            self._chats_of.popitem(last=False)

    def _pinged(self, ping: asyncio.Future[Any]) -> None:
        self._pings.discard(ping)
        if not ping.cancelled() and ping.exception() is not None:
            log.info("keepalive ping failed: %s", type(ping.exception()).__name__)

    async def _guard(self, step: Any) -> Any:
        try:
            return await step
        except (OSError, errors.RPCError) as e:
            found = translate(e)
            if found is None:
                raise
            raise found from e

    async def _iterate(self, iterator: Any) -> AsyncIterator[Any]:
        try:
            async for item in iterator:
                yield item
        except (OSError, errors.RPCError, ValueError) as e:
            # ValueError: Telethon cannot resolve a chat it has no access hash for.
            found = translate(e)
            if found is None and isinstance(e, ValueError):
                raise ChatAccessLost(f"the session cannot resolve this chat: {e}") from e
            if found is None:
                raise
            raise found from e


class TelethonSessions:
    """Build session clients from stored StringSessions (the TelegramSessions port)."""

    def __init__(
        self, api_id: int, api_hash: str, clock: Clock = lambda: datetime.now(UTC)
    ) -> None:
        self._api_id, self._api_hash, self._clock = api_id, api_hash, clock

    def open(self, user_id: str, secret: bytes) -> TelethonSession:
        """Return an unconnected client for the user's session."""
        client = TelegramClient(
            StringSession(secret.decode()),
            self._api_id,
            self._api_hash,
            auto_reconnect=False,  # our supervisor reconnects, after checking the lease
            catch_up=False,  # a StringSession keeps no update state; we fill gaps ourselves
            entity_cache_limit=1000,  # bounds memory per session (bench: the listener model)
            base_logger=f"telethon.{user_id}",
        )
        return TelethonSession(client, self._clock)


def _peer(chat_id: str) -> int | str:
    # Marked ids (-100…) need no network to resolve once dialogs were loaded; @names do.
    return int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id


if TYPE_CHECKING:
    from signal_copier.core.ports import TelegramSession, TelegramSessions

    _session: TelegramSession = TelethonSession(TelegramClient(None, 1, ""))
    _sessions: TelegramSessions = TelethonSessions(1, "")


def _reply_to(message: Any) -> int | None:
    # The id a message replies to, when it is one of this chat's messages. A reply to another
    # chat's message (its id would name an unrelated message here), to a story, or to a message
    # this session cannot see is about none of this chat's signals: it is given as a reply to
    # itself, which the engine reads as about nothing else (never as a bare follow-up, which
    # would act on the channel's latest signal).
    header = message.reply_to
    if header is None:
        return None
    if isinstance(header, types.MessageReplyHeader) and header.reply_to_msg_id is not None:
        peer = header.reply_to_peer_id
        if peer is None or utils.get_peer_id(peer) == message.chat_id:
            return int(header.reply_to_msg_id)
    return int(message.id)
