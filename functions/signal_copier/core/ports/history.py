"""The Store's message history: each (chat, message) and its versions, one atomic step each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from signal_copier.core.records import (
    MessageRecord,
    Remembered,
)

MessageBuilder = Callable[[tuple[MessageRecord, ...]], MessageRecord | None]


class MessageHistory(Protocol):
    """Messages as they arrived: versions, fan-out, and what waits or precedes."""

    # Message versions: one atomic step per (chat, message) reads the history and records.

    async def remember_message(
        self, chat_id: str, message_id: int, version: int, build: MessageBuilder
    ) -> Remembered:
        """Atomically read a message's stored versions and store what `build` returns.

        `build(history)` is pure (it may run more than once) and gets every stored version of
        the message, by version, including one with this version's key if it is stored. It
        returns the record to write (insert, or replace the one with its key), or None to write
        nothing.
        """
        ...

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Note that a message version's intents were all published (a redelivery won't redo it)."""
        ...

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        ...

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the highest stored version of a message, or the highest below `before`."""
        ...

    async def waiting_messages(self, due: datetime, limit: int) -> list[MessageRecord]:
        """Return versions waiting for their original whose `wait_until` is at or before `due`."""
        ...

    async def messages_up_to(self, chat_id: str, last: int, limit: int) -> list[MessageRecord]:
        """Return stored versions of the chat's messages with ids up to `last`, at most `limit`.

        Newest message first, each message's versions highest first: one read for a walk back
        through a chat's recent messages (the last message returned may lack lower versions).
        """
        ...
