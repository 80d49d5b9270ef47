"""One user's Telegram session inside a listener: connect, fill gaps, listen, reconnect.

The supervisor owns every (re)connect and checks the shard lease before each, so a listener
never dials a session it may no longer run (the Telethon client's own auto-reconnect is off).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

from signal_copier.core.errors import CopierError
from signal_copier.core.fleet import (
    ChatAccessLost,
    Notice,
    NoticeKind,
    SessionHealth,
    SessionLink,
    SessionRevoked,
    TelegramFloodWait,
    session_secret_name,
)
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import TelegramSession
from signal_copier.services.fleet_parts import (
    Broken,
    SessionHost,
    mark_broken,
)
from signal_copier.services.fleet_publish import Origin, SessionMarks

log = logging.getLogger(__name__)
STABLE = timedelta(seconds=60)  # a connection that lasted this long resets the backoff


class SessionRunner:
    """Supervise one session until it is stopped, its lease ends or Telegram revokes it."""

    def __init__(
        self, link: SessionLink, host: SessionHost, on_mark: Callable[[str], None]
    ) -> None:
        self.link = link
        self.chats = set(link.chats)
        self.marks = SessionMarks(link.user_id, on_mark)
        self.connected = False  # connected and caught up
        self._live = False  # connected (pings keep it so while gaps are being filled)
        self._host = host
        self._client: TelegramSession | None = None
        self._status: SessionHealth | None = None
        self._stopping = False

    @property
    def user_id(self) -> str:
        """Return the session's user."""
        return self.link.user_id

    async def run(self) -> None:
        """Keep the session connected while the lease allows; back off between attempts."""
        failures = 0
        while not self._stopping and self._host.may_run(self.link.shard):
            started = self._host.deps.clock()
            try:
                await self._session()
                # A connection that ended quickly counts as a failure: no reconnect storm. One
                # that lasted starts the backoff afresh, still jittered: when a listener's network
                # drops, its thousand sessions must not all redial in the same second.
                lasted = self._host.deps.clock() - started >= STABLE
                failures = 0 if lasted else failures + 1
                delay = self._backoff(max(failures, 1))
            except SessionRevoked as e:
                await self._broken(e)
                return
            except TelegramFloodWait as e:
                delay = timedelta(seconds=e.seconds)
                await self._set_status(last_error=f"flood_wait {e.seconds}s")
            except Exception as e:  # a supervisor must outlive any one failure; it is logged
                failures += 1
                delay = self._backoff(failures)
                log.warning("session %s failed (%s); retrying in %s", self.user_id, e, delay)
                await self._set_status(last_error=type(e).__name__)
            await self._host.deps.sleep(delay.total_seconds())

    async def stop(self) -> None:
        """Stop listening and disconnect (the task running `run` is cancelled by the owner)."""
        self._stopping = True
        client, self._client = self._client, None
        if client is not None:
            await client.disconnect()

    def update_chats(self, chats: tuple[str, ...]) -> set[str]:
        """Follow a new set of chats; return the ones that are new (they need a first mark)."""
        new = set(chats) - self.chats
        self.chats = set(chats)
        for chat in sorted(new):
            # Held at once: a live message of one new chat, while another is being read, must
            # not give it a mark before its own first fill publishes what it posted meanwhile.
            self.marks.start_fill(chat)
        return new

    async def _session(self) -> None:
        deps = self._host.deps
        secret = await deps.vault.get(session_secret_name(self.user_id))
        if secret is None:
            raise SessionRevoked("no Telegram session is stored for this user: link again")
        client = deps.telegram.open(self.user_id, secret)
        self.marks.begin(self.chats)
        client.on_message(self._on_live)
        self._client = client
        try:
            await client.connect()
            self._live = True
            if self._stopping or not self._host.may_run(self.link.shard):
                return
            await self.ping()  # from now on Telegram drops the connection if we freeze
            await self._sync_chats(client)
            self.marks.load(await deps.store.watermarks(self.user_id))
            filled: set[str] = set()
            while unfilled := sorted(self.chats - filled):  # chats followed meanwhile included
                filled.update(unfilled)
                for chat in unfilled:
                    await self.fill(client, chat)
            self.connected = True
            await self._set_status(connected=True, last_error="")
            await client.run_until_disconnected()
        finally:
            self.connected = self._live = False
            self._client = None
            await client.disconnect()
            if not self._stopping:
                await self._set_status(connected=False)

    async def fill(self, client: TelegramSession, chat: str) -> None:
        """Publish what the chat got since the mark, then edits made while nobody listened.

        Edits are re-read over the last `edit_days` or `edit_messages` messages, whichever is
        smaller: an edit to an older message made during an outage is not seen (documented).
        """
        now = self._host.deps.clock()
        mark = self.marks.get(chat)
        self.marks.start_fill(chat)
        complete = False
        try:
            if mark is None:
                await self._first_fill(client, chat, now)
            else:
                async for message in client.messages_after(chat, mark.message_id):
                    await self._publish(replace(message, received=self._host.deps.clock()))
                    self.marks.filled_to(chat, message.message_id, mark.seen_at)
                await self._refill_edits(client, chat, mark.seen_at)
                self.marks.filled_to(chat, mark.message_id, now)  # edits before now: published
            complete = True
        except ChatAccessLost as e:
            await self._lost(chat, str(e))
        finally:
            self.marks.end_fill(chat, now, complete=complete)

    async def _first_fill(self, client: TelegramSession, chat: str, now: datetime) -> None:
        # A chat never listened to starts from its newest message; a follow is only noticed at
        # the next roster read, so what the chat posted in that time is published first.
        settings = self._host.settings
        latest = await client.latest_id(chat)
        since = now - settings.roster_every - settings.edit_margin
        recent = await client.recent(chat, limit=settings.edit_messages, since=since)
        for message in reversed(recent):  # oldest first
            if message.message_id <= latest:
                await self._publish(replace(message, received=self._host.deps.clock()))
        self.marks.filled_to(chat, latest, now)

    async def _refill_edits(self, client: TelegramSession, chat: str, seen_at: datetime) -> None:
        settings, now = self._host.settings, self._host.deps.clock()
        since = now - timedelta(days=settings.edit_days)
        recent = await client.recent(chat, limit=settings.edit_messages, since=since)
        cutoff = seen_at - settings.edit_margin
        for message in reversed(recent):
            if message.edit_date is not None and message.edit_date > cutoff:
                await self._publish(replace(message, received=self._host.deps.clock()))

    async def _on_live(self, message: RawMessage) -> None:
        if self._stopping or message.chat_id not in self.chats:
            return
        if not self._host.may_run(self.link.shard):
            return  # fenced: the next owner fills this in from the watermark
        now = self._host.deps.clock()
        # Edits and deletions name messages seen before: only a new one moves the mark.
        new = message.edit_date is None and not message.deleted
        original = message.message_id if new else None
        if original is not None:
            self.marks.sending(message.chat_id, original)
        try:
            await self._publish(replace(message, received=now))
        except BaseException as e:  # the mark stays put; reconnecting refills the chat
            self.marks.failed(message.chat_id, original)
            if not isinstance(e, Exception):
                raise
            log.warning("publishing for %s failed (%s); reconnecting", self.user_id, e)
            if self._client is not None:
                await self._client.disconnect()
            return
        if original is not None:
            self.marks.advance(message.chat_id, original, now)
        await self._note_message(now)

    async def _publish(self, message: RawMessage) -> None:
        mark = self.marks.get(message.chat_id)
        origin = Origin(
            user_id=self.user_id,
            epoch=self._host.epoch(self.link.shard),
            previous_id=None if mark is None else mark.message_id,
        )
        await self._host.publisher.publish(message, origin)

    async def _sync_chats(self, client: TelegramSession) -> None:
        readable = await client.dialogs()
        await self._host.deps.store.put_chats(self.user_id, readable)
        ids = {chat.chat_id for chat in readable}
        for chat in sorted(self.chats - ids):
            await self._lost(chat, "the session can no longer read this chat")

    async def _lost(self, chat: str, detail: str) -> None:
        self.chats.discard(chat)
        notice = Notice(
            user_id=self.user_id,
            kind=NoticeKind.CHAT_ACCESS_LOST,
            at=self._host.deps.clock(),
            chat_id=chat,
            detail=detail,
        )
        await self._host.deps.store.drop_subscription(notice)
        log.info("user %s lost access to chat %s: subscription removed", self.user_id, chat)

    async def _broken(self, error: CopierError) -> None:
        outcome, status = await mark_broken(self._host.deps, self.user_id, error, self._backoff)
        if outcome is Broken.UNLINKED:
            self.marks.take_dirty()  # its watermarks went with it: do not write them back
        elif outcome is Broken.RECORDED:
            self._status = status

    async def ping(self) -> None:
        """Keep the connection alive for `server_disconnect` more (only while the lease allows)."""
        client = self._client
        if client is not None and self._live and self._host.may_run(self.link.shard):
            delay = self._host.settings.timing.server_disconnect
            await client.keepalive(int(delay.total_seconds()))

    async def follow(self, chats: set[str]) -> None:
        """Start marks for newly followed chats while connected (else the next connect does)."""
        client = self._client
        for chat in sorted(chats):
            if client is not None and self.connected and chat in self.chats:
                await self.fill(client, chat)

    async def _note_message(self, now: datetime) -> None:
        last = None if self._status is None else self._status.last_message_at
        if last is None or now - last >= self._host.settings.status_every:
            await self._set_status(last_message_at=now)

    async def _set_status(self, **changes: object) -> None:
        # Best effort: health must never stop the session it describes.
        current = self._status or SessionHealth()
        wanted = replace(current, **changes)  # type: ignore[arg-type]
        if wanted == self._status:
            return
        wanted = replace(wanted, updated=self._host.deps.clock())
        try:
            await self._host.deps.store.put_session_health(self.user_id, wanted)
        except CopierError as e:
            log.warning("bot status of %s not written: %s", self.user_id, e)
            return
        self._status = wanted

    def _backoff(self, failures: int) -> timedelta:
        settings = self._host.settings
        grown: timedelta = settings.backoff_min * 2 ** min(failures, 20)
        ceiling = grown if grown < settings.backoff_max else settings.backoff_max
        return ceiling * (0.5 + self._host.deps.rng.random() / 2)  # jitter: no thundering herd
