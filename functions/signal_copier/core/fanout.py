"""One channel message → one Intent per subscriber (parsing happened once, before)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.model import Command, Intent, IntentKind, RawMessage, Signal
from signal_copier.core.records import MessageRecord, Subscription


def intents_for(
    message: RawMessage,
    record: MessageRecord,
    previous: MessageRecord | None,
    subscribers: Sequence[Subscription],
    trace_id: str,
) -> list[Intent]:
    """Return what each subscriber must do about one message version.

    An edit of a signal becomes an EDIT (apply the difference, or open the corrected signal if
    the original was refused for its content); an edit that turns chatter into a signal is a
    new OPEN. Either way its age counts from the edit.
    """
    shapes = _shapes(record, previous)
    born = message.edit_date or message.date
    return [
        _intent(message, sub.user_id, born, part, trace_id, shape)
        for sub in subscribers
        for part, shape in enumerate(shapes)
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shape:
    kind: IntentKind
    signal: Signal | None = None
    previous: Signal | None = None
    command: Command | None = None


def _shapes(record: MessageRecord, previous: MessageRecord | None) -> list[_Shape]:
    # The same for every subscriber: decided once per message.
    if record.signal is not None and previous is not None and previous.signal is not None:
        return [_Shape(kind=IntentKind.EDIT, signal=record.signal, previous=previous.signal)]
    if record.signals:
        return [_Shape(kind=IntentKind.OPEN, signal=signal) for signal in record.signals]
    if record.command is not None:
        return [_Shape(kind=IntentKind.COMMAND, command=record.command)]
    return []


def _intent(
    message: RawMessage, user_id: str, born: datetime, part: int, trace_id: str, shape: _Shape
) -> Intent:
    return Intent(
        id=ids.intent_id(message.chat_id, message.message_id, message.version, user_id, part),
        user_id=user_id,
        kind=shape.kind,
        chat_id=message.chat_id,
        message_id=message.message_id,
        version=message.version,
        message_date=born,
        received=message.received,
        reply_to=message.reply_to,
        signal=shape.signal,
        previous=shape.previous,
        command=shape.command,
        trace_id=trace_id,
    )
