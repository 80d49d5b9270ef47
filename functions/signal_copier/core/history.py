"""A message's versions: how a new version relates to the ones stored before it (pure).

Versions arrive in any order and any number of times. What a version means is decided against
every version stored before it, inside the store's one-transaction history step:
- a version already stored is a redelivery: nothing new;
- an edit seen before any earlier version waits (no intents) for the original, up to a bound,
  and is resumed once an earlier version is stored (or when the bound passes);
- a version older than one already acted on is superseded: it is recorded but changes nothing,
  except a signal turned to another side or symbol: that withdrew the signal when it was made;
- edits within the same second are ordered by arrival (the later one is the newer);
- a deletion is the message's last version (ids.DELETED_VERSION), its tombstone: it never
  waits, and every version that arrives after it is superseded, so a message deleted before
  it arrived (or an edit made before the deletion but delivered after it) never acts.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from signal_copier.core import deletion, ids
from signal_copier.core.model import Action, Command, Parse, RawMessage, Signal
from signal_copier.core.records import MessageRecord
from signal_copier.core.symbol_map import same_instrument

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def relate(
    version: int, history: tuple[MessageRecord, ...]
) -> tuple[MessageRecord | None, bool, bool]:
    """Return (the latest earlier version, whether any earlier exists, whether a newer exists).

    Versions still waiting for their original are neither earlier nor newer.
    """
    second = ids.version_second(version)
    settled = [h for h in history if h.wait_until is None and h.version != version]
    earlier = [h for h in settled if ids.version_second(h.version) <= second]
    newer = any(ids.version_second(h.version) > second for h in settled)
    latest = max(earlier, key=_order, default=None)
    return latest, bool(earlier), newer


def new_record(
    message: RawMessage, parsed: Parse, history: tuple[MessageRecord, ...], wait: timedelta
) -> MessageRecord | None:
    """Return the record to store for a newly delivered version, or None for a redelivery."""
    if any(h.key == message.id for h in history):
        return None
    previous, has_earlier, newer = relate(message.version, history)
    if message.deleted:
        return deletion.tombstone(
            _carry(_deleted_record(message, previous), previous, False, history)
        )
    record = _noted(_carry(_parsed_record(message, parsed), previous, newer, history), history)
    if message.version and not has_earlier and not newer:
        return replace(record, wait_until=message.received + wait)
    return record


def resumed_record(
    waiting: MessageRecord, history: tuple[MessageRecord, ...], *, expired: bool
) -> MessageRecord | None:
    """Return a waiting version ready to act on, or None while it must keep waiting.

    It is ready once an earlier version is stored, or when its wait has `expired` (then it is
    acted on as the first version seen).
    """
    current = next((h for h in history if h.key == waiting.key), None)
    if current is None or current.wait_until is None:
        return None  # resumed already
    previous, has_earlier, newer = relate(waiting.version, history)
    if not (has_earlier or newer or expired):
        return None
    resumed = _carry(replace(current, wait_until=None, fanned_out=-1), previous, newer, history)
    return _noted(resumed, history)


def message_of(record: MessageRecord) -> RawMessage:
    """Return the Telegram message a stored version was made from."""
    edited = record.version != 0
    posted = record.posted or record.date
    return RawMessage(
        chat_id=record.chat_id,
        message_id=record.message_id,
        text=record.text,
        date=posted,
        received=record.received or record.date,
        reply_to=record.reply_to,
        edit_date=record.date if edited else None,
        chat_title=record.chat_title,
        previous_id=record.previous_id,
    )


def is_signal(record: MessageRecord) -> bool:
    """Return whether a message is, or was before an edit, an opening signal."""
    return bool(record.signals or record.earlier_signals)


def pair_parts(
    signals: Sequence[Signal],
    earlier: Sequence[Signal],
    earlier_parts: Sequence[int],
    used: Iterable[int] = (),
) -> tuple[int, ...]:
    """Return the part of each of an edit's signals: the earlier signal it is, or a new one.

    A signal is the earlier one of its instrument and side (in the same place first), else
    the earlier one left in its order (an edit that changed a side or symbol); what is left
    is a signal the edit added, under a part no version of the message used (`used`).
    """
    paired: dict[int, int] = {}  # signal index → earlier index

    def free(j: int) -> bool:
        return j not in paired.values()

    for i, signal in enumerate(signals):
        if i < len(earlier) and _same(signal, earlier[i]):
            paired[i] = i
    for i, signal in enumerate(signals):
        if i not in paired:
            found = next((j for j, e in enumerate(earlier) if free(j) and _same(signal, e)), None)
            if found is not None:
                paired[i] = found
    left = [j for j in range(len(earlier)) if free(j)]
    paired.update(zip([i for i in range(len(signals)) if i not in paired], left, strict=False))
    fresh = max([*used, *earlier_parts], default=-1) + 1
    parts: list[int] = []
    for i in range(len(signals)):
        if i in paired:
            parts.append(earlier_parts[paired[i]])
        else:
            parts.append(fresh)
            fresh += 1
    return tuple(parts)


def _same(one: Signal, other: Signal) -> bool:
    return one.side is other.side and same_instrument(one.symbol, other.symbol)


def _same_instrument(one: Signal, other: Signal) -> bool:
    return same_instrument(one.symbol, other.symbol)


def _carry(
    record: MessageRecord,
    previous: MessageRecord | None,
    newer: bool,
    history: tuple[MessageRecord, ...],
) -> MessageRecord:
    earlier_signals: tuple[Signal, ...] = ()
    earlier_parts: tuple[int, ...] = ()
    earlier_command = earlier_reentry = False
    earlier_commands: tuple[Command, ...] = ()
    if previous is not None:
        if previous.signals:
            earlier_signals, earlier_parts = previous.signals, previous.signal_parts
        else:
            earlier_signals = previous.earlier_signals
            earlier_parts = previous.earlier_signal_parts
        earlier_command = previous.command is not None or previous.earlier_command
        reentry = previous.command is not None and previous.command.action is Action.REENTER
        earlier_reentry = reentry or previous.earlier_reentry
        earlier_commands = previous.earlier_commands
        if previous.command is not None:
            earlier_commands += (previous.command,)
    # Parts that versions acted on hold (a waiting one holds none yet): an added signal's is new.
    acted = [h for h in history if h.wait_until is None and h.key != record.key]
    used = [part for h in acted for part in (*h.signal_parts, *h.earlier_signal_parts)]
    parts = pair_parts(record.signals, earlier_signals, earlier_parts, used)
    parts, back = _put_back(record.signals, parts, earlier_parts, acted)
    earlier_signals += tuple(signal for _, signal in back)
    earlier_parts += tuple(part for part, _ in back)
    previous_id = record.previous_id
    if previous_id is None and previous is not None:
        previous_id = previous.previous_id  # an edit keeps its message's place in the chat
    carried = replace(
        record,
        earlier_signals=earlier_signals,
        earlier_parts=_stored(earlier_parts),
        parts=_stored(parts),
        earlier_command=earlier_command,
        earlier_reentry=earlier_reentry,
        earlier_commands=earlier_commands,
        superseded=newer,
        first_seen=previous is None,
        previous_id=previous_id,
    )
    # An edit that turned a signal's side or symbol withdrew the signal when it was made: one
    # that arrives after a newer version still does (in order it would have), unless the
    # message's deletion took everything back already.
    if newer and turns(carried) and not any(h.deleted for h in history):
        return replace(carried, superseded=False)
    return carried


def turns(version: MessageRecord) -> bool:
    """Return whether a version turned one of its message's signals to another side or symbol."""
    earlier = dict(zip(version.earlier_signal_parts, version.earlier_signals, strict=True))
    now = zip(version.signal_parts, version.signals, strict=True)
    return any(p in earlier and not _same(s, earlier[p]) for p, s in now)


def _put_back(
    signals: Sequence[Signal],
    parts: tuple[int, ...],
    earlier_parts: Sequence[int],
    acted: Sequence[MessageRecord],
) -> tuple[tuple[int, ...], list[tuple[int, Signal]]]:
    # A signal an earlier edit dropped (its trades stay) and this one puts back is that signal
    # again, not a new one: it takes its old part, judged against its last version.
    dropped: dict[int, Signal] = {}
    for version in sorted(acted, key=lambda h: h.version, reverse=True):
        for part, signal in zip(version.signal_parts, version.signals, strict=True):
            if part not in earlier_parts:
                dropped.setdefault(part, signal)
    placed, back = list(parts), list[tuple[int, Signal]]()
    # Its instrument and side first; then its instrument alone (put back with its side turned:
    # the same signal changed, as an edit turning it in place is, never a second trade).
    for alike in (_same, _same_instrument):
        for at, signal in enumerate(signals):
            if placed[at] in earlier_parts or placed[at] in dropped:
                continue  # the previous version's signal, or one put back already
            found = next(
                (p for p, old in dropped.items() if p not in placed and alike(signal, old)), None
            )
            if found is not None:
                placed[at] = found
                back.append((found, dropped[found]))
    return tuple(placed), back


def _stored(parts: tuple[int, ...]) -> tuple[int, ...]:
    # Parts in their plain order (every message that was never edited) are stored as ().
    return () if parts == tuple(range(len(parts))) else parts


def _parsed_record(message: RawMessage, parsed: Parse) -> MessageRecord:
    return MessageRecord(
        key=message.id,
        chat_id=message.chat_id,
        message_id=message.message_id,
        version=message.version,
        date=message.edit_date or message.date,
        kind=parsed.kind,
        signals=parsed.signals,
        command=parsed.command,
        reason=parsed.reason,
        explain=parsed.explain,
        text=message.text,
        chat_title=message.chat_title,
        reply_to=message.reply_to,
        previous_id=_before(message.previous_id, message.message_id),
        received=message.received,
        posted=message.date,
    )


def _deleted_record(message: RawMessage, previous: MessageRecord | None) -> MessageRecord:
    # The tombstone keeps the message's place (posted, reply, title) from what was seen of it.
    return MessageRecord(
        key=message.id,
        chat_id=message.chat_id,
        message_id=message.message_id,
        version=message.version,
        date=message.received,
        kind=deletion.KIND,
        reason=deletion.KIND,
        chat_title=previous.chat_title if previous else message.chat_title,
        reply_to=previous.reply_to if previous else None,
        received=message.received,
        posted=(previous.posted or previous.date) if previous else message.received,
    )


def _noted(record: MessageRecord, history: tuple[MessageRecord, ...]) -> MessageRecord:
    # A version superseded by the message's deletion says so in the signal log.
    if record.superseded and any(h.deleted for h in history):
        return replace(record, explain=(*record.explain, deletion.ARRIVED_DELETED))
    return record


def _order(record: MessageRecord) -> tuple[int, datetime]:
    # Same-second edits: the one that arrived later is the newer.
    return ids.version_second(record.version), record.received or EPOCH


def _before(previous_id: int | None, message_id: int) -> int | None:
    # A "previous" id at or above the message's own is no message before it (a listener that
    # published a later message first): unknown, so nothing is taken as posted before it.
    return previous_id if previous_id is not None and previous_id < message_id else None
