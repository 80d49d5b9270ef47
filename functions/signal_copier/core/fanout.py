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

    Edits are judged against every earlier version (`record` carries them forward): a signal
    edited again becomes one EDIT per signal (apply the difference to that signal's trades);
    a follow-up is never run twice because its text was edited; a signal edited into a
    command acts on that signal. A signal's age counts from the original post, except when an
    earlier version seen here was chatter: then the signal was born at the edit.
    """
    shapes = _shapes(message, record)
    born_at_edit = previous is not None and not record.earlier_signals and bool(record.signals)
    born = message.edit_date if born_at_edit and message.edit_date else message.date
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
    reply_to: int | None = None


def _shapes(message: RawMessage, record: MessageRecord) -> list[_Shape]:
    # The same for every subscriber: decided once per message.
    earlier = record.earlier_signals
    if record.signals:
        return [
            _Shape(kind=IntentKind.EDIT, signal=signal, previous=earlier[part])
            if part < len(earlier)
            else _Shape(kind=IntentKind.OPEN, signal=signal)
            for part, signal in enumerate(record.signals)
        ]
    if record.command is None or record.earlier_command:
        return []
    # A signal edited into "cancelled" / "close now" acts on that same signal.
    target = message.message_id if earlier else message.reply_to
    return [_Shape(kind=IntentKind.COMMAND, command=record.command, reply_to=target)]


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
        reply_to=shape.reply_to if shape.kind is IntentKind.COMMAND else message.reply_to,
        part=part,
        signal=shape.signal,
        previous=shape.previous,
        command=shape.command,
        trace_id=trace_id,
    )
