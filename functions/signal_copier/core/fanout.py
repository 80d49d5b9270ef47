"""One channel message → one Intent per subscriber (parsing happened once, before)."""

from __future__ import annotations

from collections.abc import Sequence
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
    was_signal = previous is not None and previous.signal is not None
    born = message.edit_date or message.date  # an edit's age counts from the edit
    intents: list[Intent] = []
    for sub in subscribers:
        if record.signal is not None and previous is not None and was_signal:
            intents.append(
                _intent(
                    message,
                    sub.user_id,
                    IntentKind.EDIT,
                    born,
                    0,
                    signal=record.signal,
                    previous=previous.signal,
                    trace_id=trace_id,
                )
            )
        elif record.signals:
            intents += [
                _intent(
                    message,
                    sub.user_id,
                    IntentKind.OPEN,
                    born,
                    part,
                    signal=signal,
                    trace_id=trace_id,
                )
                for part, signal in enumerate(record.signals)
            ]
        elif record.command is not None:
            intents.append(
                _intent(
                    message,
                    sub.user_id,
                    IntentKind.COMMAND,
                    born,
                    0,
                    command=record.command,
                    trace_id=trace_id,
                )
            )
    return intents


def _intent(
    message: RawMessage,
    user_id: str,
    kind: IntentKind,
    born: datetime,
    part: int,
    *,
    trace_id: str,
    signal: Signal | None = None,
    previous: Signal | None = None,
    command: Command | None = None,
) -> Intent:
    return Intent(
        id=ids.intent_id(message.chat_id, message.message_id, message.version, user_id, part),
        user_id=user_id,
        kind=kind,
        chat_id=message.chat_id,
        message_id=message.message_id,
        version=message.version,
        message_date=born,
        received=message.received,
        reply_to=message.reply_to,
        signal=signal,
        previous=previous,
        command=command,
        trace_id=trace_id,
    )
