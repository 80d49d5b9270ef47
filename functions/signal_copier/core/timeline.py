"""A channel's timeline as a runner replays it: messages and price changes, in time order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal

from signal_copier.core.model import RawMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayEvent:
    """One moment: a message (new or edited), new quotes, or both; `line` is where it was read."""

    at: datetime
    line: int
    message: RawMessage | None = None
    quotes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


def chats(events: Iterable[ReplayEvent]) -> list[str]:
    """Return every chat that appears in the events, in order of appearance."""
    seen: dict[str, None] = {}
    for event in events:
        if event.message is not None:
            seen.setdefault(event.message.chat_id, None)
    return list(seen)


def with_previous_ids(events: Iterable[ReplayEvent]) -> list[ReplayEvent]:
    """Set each original message's previous_id as a listener would: the chat's last message.

    A replay is in posting order, so the message before each one in its chat is known; an
    edit or a deletion keeps its message's place (its previous_id stays unset).
    """
    last: dict[str, int] = {}
    linked = []
    for event in events:
        message = event.message
        if message is not None and message.edit_date is None and not message.deleted:
            if message.previous_id is None:
                message = replace(message, previous_id=last.get(message.chat_id))
            last[message.chat_id] = message.message_id
            event = replace(event, message=message)
        linked.append(event)
    return linked
