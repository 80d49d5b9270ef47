"""Which of two instructions about one trade wins when they arrive out of order (pure)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from signal_copier.core.followups import Operation
from signal_copier.core.history import is_signal
from signal_copier.core.ids import version_made
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import (
    Action,
    ChangeKind,
    Command,
    IntentKind,
    Scope,
    Signal,
    Status,
)
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord, TradeRecord
from signal_copier.core.symbol_map import same_instrument


def keep_later_follow_ups(
    ops: Sequence[Operation],
    later: Sequence[TradeRecord],
    items: Sequence[Position | PendingOrder],
) -> list[Operation]:
    """Drop from an edit's operations the levels that follow-ups posted after it set.

    An edit arriving late must not undo "move TP to 2670" posted after it: on each position a
    later follow-up changed, its SL or TP stays as that follow-up left it.
    """
    overridden: dict[str, set[str]] = {}
    for record in later:
        command = record.intent.command
        if command is None:
            continue
        fields = set()
        if command.sl is not None or command.sl_anchor or command.then_sl_anchor:
            fields.add("sl")
        if command.tps:
            fields.add("tp")
        for change in record.result.changes:
            overridden.setdefault(change.target, set()).update(fields)
    return held_back(ops, overridden, items)


def held_back(
    ops: Sequence[Operation],
    overridden: Mapping[str, Collection[str]],
    items: Sequence[Position | PendingOrder],
) -> list[Operation]:
    """Return `ops` with the fields ("sl", "tp") `overridden` names per item left as they are.

    An operation left with nothing to change is dropped.
    """
    current = {item.id: item for item in items}
    kept = []
    for op in ops:
        fields, held = overridden.get(op.target, set()), current.get(op.target)
        if not fields or held is None:
            kept.append(op)
            continue
        sl = held.sl if "sl" in fields else op.sl
        tp = held.tp if "tp" in fields else op.tp
        price = op.price if op.kind is ChangeKind.ORDER else None
        unchanged = (sl, tp) == (held.sl, held.tp)
        if not (unchanged and (price is None or price == getattr(held, "price", None))):
            kept.append(replace(op, sl=sl, tp=tp))
    return kept


def edited_after(date: datetime, records: Sequence[TradeRecord]) -> frozenset[str]:
    """Return the levels ("sl", "tp") that edits of a signal made at or after `date` replaced.

    `records` are the signal's trade records; an edit counts once carried to its trades
    (applied, or finding them already so). A follow-up posted at `date` and delivered after
    such an edit must not undo it: in the order posted, the edit came last. (On the same
    second the edit wins either way: keep_later_follow_ups counts only later seconds.)
    """
    fields: set[str] = set()
    for record in records:
        intent, result = record.intent, record.result
        previous, signal = intent.previous, intent.signal
        if intent.kind is not IntentKind.EDIT or previous is None or signal is None:
            continue
        carried = result.status is Status.APPLIED or result.reason is Reason.NOTHING_TO_CHANGE
        if not carried or version_made(intent.version) < date:
            continue
        if (previous.sl, previous.sl_pips) != (signal.sl, signal.sl_pips):
            fields.add("sl")
        if (previous.tps, previous.tp_pips, previous.tp_open) != (
            signal.tps,
            signal.tp_pips,
            signal.tp_open,
        ):
            fields.add("tp")
    return frozenset(fields)


def closed_by(
    signal_id: int, signal: Signal, after: Sequence[MessageRecord], max_steps: int = 200
) -> int | None:
    """Return the id of a follow-up posted after a signal that closes or cancels all of it.

    `after` are the chat's stored messages posted after the signal's (any order). A fix of a
    refused signal must not open what the channel is already out of, whichever of the two
    arrived first. Such a follow-up closes everything, or names the signal's symbol, or
    replies to it (through replies to follow-ups, never through a re-entry: that is about the
    re-entry's own trade), or is bare while it was the channel's latest signal; it names no
    other side or position; a partial close does not count.
    """
    newest: dict[int, MessageRecord] = {}
    versions: dict[int, list[MessageRecord]] = {}
    for record in after:
        if record.message_id not in newest or record.version > newest[record.message_id].version:
            newest[record.message_id] = record
        versions.setdefault(record.message_id, []).append(record)
    for message_id in sorted(newest):
        for version in versions[message_id]:
            command = version.command
            if command is None or not _ends(command) or not _fits(command, signal):
                continue
            if _about(version, command, signal_id, newest, max_steps):
                return message_id
    return None


def ended_by_edit(latest: MessageRecord, version: int) -> bool:
    """Return whether `latest`, a signal's post as last stored, was edited into its end.

    An edit after `version` (the one being opened) into a cancel or a whole close.
    """
    command = latest.command
    return latest.version > version and command is not None and _ends(command)


def _ends(command: Command) -> bool:
    if command.action is Action.CANCEL:
        return True
    whole = command.fraction is None or command.fraction >= 1
    return command.action is Action.CLOSE and whole


def _fits(command: Command, signal: Signal) -> bool:
    return (
        (command.side is None or command.side is signal.side)
        and (command.symbol is None or same_instrument(command.symbol, signal.symbol))
        and (command.position_id is None or command.position_id == signal.position_id)
    )


def _about(
    record: MessageRecord,
    command: Command,
    signal_id: int,
    newest: Mapping[int, MessageRecord],
    max_steps: int,
) -> bool:
    if command.scope is Scope.ALL or command.symbol is not None:
        return True
    current = record.reply_to
    if current is None:  # bare: about the latest signal before it, unless another came since
        return not any(
            signal_id < other < record.message_id and is_signal(newest[other])
            for other in newest
            if not newest[other].superseded
        )
    for _ in range(max_steps):  # a reply, maybe to a follow-up that replied to the signal
        if current == signal_id:
            return True
        step = newest.get(current)
        if step is None or step.reply_to is None or step.reply_to >= current:
            return False
        reentry = step.command is not None and step.command.action is Action.REENTER
        if reentry or step.earlier_reentry:
            return False  # a reply to a re-entry is about that re-entry's trade alone
        current = step.reply_to
    return False


def about_signal(
    record: MessageRecord,
    signal_id: int,
    signal: Signal,
    newest: Mapping[int, MessageRecord],
    max_steps: int = 200,
) -> bool:
    """Return whether a follow-up posted after a signal is about it (as `closed_by` judges).

    `newest` are the newest versions of the chat's messages posted after the signal, by id.
    """
    command = record.command
    if command is None or not _fits(command, signal):
        return False
    return _about(record, command, signal_id, newest, max_steps)
