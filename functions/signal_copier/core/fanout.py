"""One channel message version → one Intent per subscriber (parsing happened once, before)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.model import Action, Command, Intent, IntentKind, Signal
from signal_copier.core.records import MessageRecord, Subscription


def intents_for(
    record: MessageRecord,
    subscribers: Sequence[Subscription],
    trace_id: str,
    *,
    follow_ups_only: bool = False,
) -> list[Intent]:
    """Return what each subscriber must do about one message version.

    Edits are judged against every earlier version (`record` carries them forward): a signal
    edited again becomes one EDIT per signal (apply the difference to that signal's trades);
    an edited follow-up is a COMMAND of its own (services/reruns.py decides, per user,
    whether it runs again); a signal edited into a command acts on that signal, and so does
    an edit seen without any earlier version (its original was most likely a signal this
    copier never saw). A signal's age counts from the
    original post, except when an earlier version seen here was chatter: then the signal was
    born at the edit. A superseded version (a newer one was acted on first) changes nothing.
    A deletion of a signal is one DELETE per user (for all of the message's signals), and so is
    a deletion of a re-entry (for the trade it opened).
    `follow_ups_only`: no openings (for users who hold the chat's trades but no longer follow
    it: its follow-ups and edits still reach their trades).
    """
    if record.superseded or record.wait_until is not None:
        return []
    shapes = _shapes(record)
    if follow_ups_only:
        shapes = [(part, shape) for part, shape in shapes if not _opens(shape)]
    posted = record.posted or record.date
    born_at_edit = not record.first_seen and not record.earlier_signals and bool(record.signals)
    born = record.date if born_at_edit else posted
    return [
        _intent(record, sub.user_id, born, part, trace_id, shape)
        for sub in subscribers
        for part, shape in shapes
    ]


def intent_ids_for(
    record: MessageRecord, user_id: str, *, follow_ups_only: bool = False
) -> list[str]:
    """Return the ids of the intents `intents_for` gives one subscriber, without making them.

    What a follow-up's wait checks for every message it walks back over (services/targets.py).
    """
    if record.superseded or record.wait_until is not None:
        return []
    chat, number, version = record.chat_id, record.message_id, record.version
    return [
        ids.intent_id(chat, number, version, user_id, part)
        for part, shape in _shapes(record)
        if not (follow_ups_only and _opens(shape))
    ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shape:
    kind: IntentKind
    signal: Signal | None = None
    previous: Signal | None = None
    command: Command | None = None
    reply_to: int | None = None


def _opens(shape: _Shape) -> bool:
    # A new trade (a signal, or a re-entry of one), never sent to a user who stopped following.
    reentry = shape.command is not None and shape.command.action is Action.REENTER
    return shape.kind is IntentKind.OPEN or reentry


def _shapes(record: MessageRecord) -> list[tuple[int, _Shape]]:
    # The same for every subscriber: decided once per message. Each signal keeps its part in
    # every version (core/history.py pairs an edit's signals with the earlier ones).
    earlier = dict(zip(record.earlier_signal_parts, record.earlier_signals, strict=True))
    if record.deleted:  # one per user: it acts on every signal of the message at once
        if record.earlier_signals:
            return [(0, _Shape(kind=IntentKind.DELETE, signal=record.earlier_signals[0]))]
        # A re-entry's post deleted: its trade is taken back as a signal's would be.
        return [(0, _Shape(kind=IntentKind.DELETE))] if record.earlier_reentry else []
    if record.signals:
        return [
            (part, _Shape(kind=IntentKind.EDIT, signal=signal, previous=earlier[part]))
            if part in earlier
            else (part, _Shape(kind=IntentKind.OPEN, signal=signal))
            for part, signal in zip(record.signal_parts, record.signals, strict=True)
        ]
    if record.command is None:
        return []
    # A re-entry's post edited into another instruction ("Cancelled") is about the trade it
    # opened, as a signal's post edited into one is (services/reruns.py judges every edited
    # follow-up per user; an edit into a re-entry never runs).
    withdrawn = record.earlier_reentry and record.command.action is not Action.REENTER
    edited_first_seen = record.version != 0 and record.first_seen
    reentry = record.command.action is Action.REENTER
    if reentry and (earlier or edited_first_seen) and not record.earlier_command:
        return []  # a signal edited into "buy again" (or seen only so) repeats nothing
    own = earlier or edited_first_seen or withdrawn
    target = record.message_id if own else record.reply_to
    return [(0, _Shape(kind=IntentKind.COMMAND, command=record.command, reply_to=target))]


def _intent(
    record: MessageRecord, user_id: str, born: datetime, part: int, trace_id: str, shape: _Shape
) -> Intent:
    chat, number, version = record.chat_id, record.message_id, record.version
    return Intent(
        id=ids.intent_id(chat, number, version, user_id, part),
        user_id=user_id,
        kind=shape.kind,
        chat_id=chat,
        message_id=number,
        version=version,
        message_date=born,
        received=record.received or record.date,
        reply_to=shape.reply_to if shape.kind is IntentKind.COMMAND else record.reply_to,
        part=part,
        signal=shape.signal,
        previous=shape.previous,
        command=shape.command,
        trace_id=trace_id,
    )
