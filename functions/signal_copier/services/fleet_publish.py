"""What a listener publishes: each Telegram message once, and per-(session, chat) watermarks.

Several sessions of one listener often follow the same channel: the first to see a message
publishes it, the others only move their watermarks. Listeners do not coordinate with each
other: two listeners (or an old and a new owner around a takeover) may both publish a message,
and the pipeline's dedupe of (chat, message, version) absorbs that.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from signal_copier.core import codec
from signal_copier.core.fleet import Watermark
from signal_copier.core.model import RawMessage
from signal_copier.core.ports import Queue
from signal_copier.services.deps import MESSAGES_TOPIC

MAX_IDS = 512  # per chat: enough to chain a gap fill's messages while live ones arrive
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """Which session saw a message, under which lease epoch."""

    user_id: str
    epoch: int
    previous_id: int | None  # the session's watermark in the chat, if it has one


class Publisher:
    """Publish messages to `messages`, once per listener, skipping edits that change no text."""

    def __init__(self, queue: Queue, *, remember: int = 200_000) -> None:
        self._queue = queue
        self._remember = remember
        self._keys: OrderedDict[str, None] = OrderedDict()  # published or being published
        self._sending: dict[str, asyncio.Future[bool]] = {}  # key → whether it went out
        self._texts: OrderedDict[tuple[str, int], bytes] = OrderedDict()
        # Per chat, the ids of the newest messages published, ascending (at most MAX_IDS).
        self._published: dict[str, list[int]] = {}
        self.published = 0

    async def publish(self, message: RawMessage, origin: Origin) -> bool:
        """Publish a message unless this listener already did; True if it was sent now.

        Raises what the queue raises; the message is then not remembered, so another
        session (or a later gap fill) publishes it. A message another session is publishing
        counts as published only once that publish went out (else this one sends it).
        """
        key = message.id
        where = (message.chat_id, message.message_id)
        text = hashlib.blake2b(message.text.encode(), digest_size=8).digest()
        while (pending := self._sending.get(key)) is not None:
            if await asyncio.shield(pending):
                return False
        if key in self._keys:
            return False
        if message.edit_date is not None and self._texts.get(where) == text:
            return False  # a reaction or a formatting-only edit: nothing to read again
        published = self._published.setdefault(message.chat_id, [])
        # A deletion names an old message: it has no place of its own in the chat.
        previous = (
            None
            if message.deleted
            else _previous(published, message.message_id, origin.previous_id)
        )
        outgoing = replace(message, epoch=origin.epoch, previous_id=previous)
        _remember(self._keys, key, None, self._remember)
        sent = self._sending[key] = asyncio.get_running_loop().create_future()
        try:
            await self._queue.publish(
                MESSAGES_TOPIC, codec.to_dict(outgoing), attributes=_labels(outgoing, origin)
            )
        except BaseException:
            self._keys.pop(key, None)
            sent.set_result(False)
            raise
        finally:
            del self._sending[key]
            if not sent.done():
                sent.set_result(True)
        _remember(self._texts, where, text, self._remember)
        if (
            message.edit_date is None
            and not message.deleted
            and message.message_id not in published
        ):
            bisect.insort(published, message.message_id)
            del published[:-MAX_IDS]
        self.published += 1
        return True


def _previous(published: list[int], message_id: int, mark: int | None) -> int | None:
    # The message before this one: the newest published below it, or the session's mark if
    # later. Never a later message: a gap fill publishes older messages after live ones.
    below = bisect.bisect_left(published, message_id)
    found = [published[below - 1]] if below else []
    if mark is not None and mark < message_id:
        found.append(mark)
    return max(found, default=None)


def _labels(message: RawMessage, origin: Origin) -> dict[str, str]:
    return {
        "trace_id": message.id,
        "user": origin.user_id,
        "chat": message.chat_id,
        "epoch": str(origin.epoch),
    }


def _remember(memory: OrderedDict[K, V], key: K, value: V, limit: int) -> None:
    memory[key] = value
    memory.move_to_end(key)
    while len(memory) > limit:
        memory.popitem(last=False)


class SessionMarks:
    """One session's watermarks: they only move past messages that were surely published.

    While a chat's gap is being filled, live messages are published but the mark waits: a
    crash then restarts the fill from the old mark instead of skipping the gap.
    """

    def __init__(self, user_id: str, on_dirty: Callable[[str], None]) -> None:
        self.user_id = user_id
        self._on_dirty = on_dirty  # tells the listener which sessions have marks to write
        self._marks: dict[str, Watermark] = {}
        self._dirty: set[str] = set()
        self._filling: dict[str, int] = {}  # chat → highest live id seen during its fill
        self._held: set[str] = set()  # a publish failed: frozen until the next fill
        # Live messages are handled concurrently (Telethon: a task per update): no mark may
        # pass a message still being published, so a later one's id waits in `_sent`.
        self._sending: dict[str, Counter[int]] = {}
        self._sent: dict[str, int] = {}

    def get(self, chat_id: str) -> Watermark | None:
        """Return the chat's watermark, if any."""
        return self._marks.get(chat_id)

    def load(self, marks: dict[str, Watermark]) -> None:
        """Merge stored marks in (the larger id and time win)."""
        for chat, mark in marks.items():
            self._set(chat, mark.message_id, mark.seen_at, dirty=False)

    def begin(self, chats: Iterable[str]) -> None:
        """Hold every chat's mark until its own fill ends (call before connecting).

        Telegram delivers live messages from the connect on, while earlier chats' gaps are
        still being read: a live id must not move a mark whose gap is not filled yet.
        """
        self._filling = dict.fromkeys(chats, 0)

    def start_fill(self, chat_id: str) -> None:
        """Hold the chat's mark while its gap is filled (keeping what was seen live since
        `begin`)."""
        self._filling.setdefault(chat_id, 0)
        self._held.discard(chat_id)

    def end_fill(self, chat_id: str, now: datetime, *, complete: bool) -> None:
        """Release the hold; a complete fill also counts the live messages seen meanwhile."""
        live = self._filling.pop(chat_id, 0)
        if complete and live and chat_id not in self._held:
            self._set(chat_id, live, now, dirty=True)

    def sending(self, chat_id: str, message_id: int) -> None:
        """Note a live message being published: no mark passes it until `advance` or `failed`."""
        self._sending.setdefault(chat_id, Counter())[message_id] += 1

    def advance(self, chat_id: str, message_id: int, now: datetime) -> None:
        """Note a published live message (once every earlier one being sent is sent too)."""
        self._sent[chat_id] = max(self._sent.get(chat_id, message_id), message_id)
        ready = self._done(chat_id, message_id)
        if ready is None or chat_id in self._held:
            return
        if chat_id in self._filling:
            self._filling[chat_id] = max(self._filling[chat_id], ready)
            return
        self._set(chat_id, ready, now, dirty=True)

    def failed(self, chat_id: str, message_id: int | None) -> None:
        """Note a live publish that failed (`message_id` None for an edit): hold the mark."""
        if message_id is not None:
            self._done(chat_id, message_id)
        self.hold(chat_id)

    def filled_to(self, chat_id: str, message_id: int, now: datetime) -> None:
        """Move the mark during a fill (everything up to `message_id` is published)."""
        self._set(chat_id, message_id, now, dirty=True)

    def hold(self, chat_id: str) -> None:
        """Freeze the chat's mark after a failed publish, until the next fill."""
        self._held.add(chat_id)

    def take_dirty(self) -> list[Watermark]:
        """Return the marks changed since the last call (for one batched write)."""
        dirty = [self._marks[c] for c in sorted(self._dirty)]
        self._dirty.clear()
        return dirty

    def put_back(self, marks: list[Watermark]) -> None:
        """Mark again as changed what a failed write did not store."""
        self._dirty.update(m.chat_id for m in marks if m.chat_id in self._marks)
        if self._dirty:
            self._on_dirty(self.user_id)

    def _done(self, chat_id: str, message_id: int) -> int | None:
        # The highest published id no message still being sent lies below, if any.
        sending = self._sending.get(chat_id)
        if sending is not None:
            sending[message_id] -= 1
            if sending[message_id] <= 0:
                del sending[message_id]
            if not sending:
                del self._sending[chat_id]
        sent = self._sent.get(chat_id)
        if sent is None or (sending and min(sending) <= sent):
            return None
        del self._sent[chat_id]
        return sent

    def _set(self, chat_id: str, message_id: int, seen_at: datetime, *, dirty: bool) -> None:
        old = self._marks.get(chat_id)
        if old is not None and old.message_id >= message_id and old.seen_at >= seen_at:
            return
        mid = message_id if old is None else max(old.message_id, message_id)
        seen = seen_at if old is None else max(old.seen_at, seen_at)
        self._marks[chat_id] = Watermark(
            user_id=self.user_id, chat_id=chat_id, message_id=mid, seen_at=seen
        )
        if dirty:
            self._dirty.add(chat_id)
            self._on_dirty(self.user_id)
