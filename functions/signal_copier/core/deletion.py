"""Deleted messages: what a channel's deletion means, and what it does to a signal's trades.

A deletion is stored as its message's last version, a tombstone (core/history.py). The
tombstone of a signal, or of a re-entry, fans out one DELETE intent per follower holding its
trades; the follower's `on_signal_deleted` setting says what happens to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import ChangeKind, Intent, IntentKind
from signal_copier.core.records import MessageRecord
from signal_copier.core.settings import OnSignalDeleted

KIND = "deleted"  # the tombstone's kind in the signal log
ARRIVED_DELETED = "the channel had deleted this message before this version arrived: not acted on"


def tombstone(record: MessageRecord) -> MessageRecord:
    """Return a message's deletion record with the signal log's explanation of it."""
    return replace(record, explain=(_explained(record),))


def _explained(record: MessageRecord) -> str:
    number = record.message_id
    if record.earlier_signals:
        read = ", ".join(f"{s.side} {s.symbol}" for s in record.earlier_signals)
        return (
            f"the channel deleted message {number}, a signal ({read}): each follower's unfilled "
            "orders from it are cancelled (setting on_signal_deleted: cancel_pending, or close "
            "to also close its positions, or ignore)"
        )
    if record.earlier_reentry:
        return (
            f"the channel deleted message {number}, a re-entry: each follower's unfilled orders "
            "from it are cancelled, as a deleted signal's are (on_signal_deleted: cancel_pending, "
            "or close to also close its position, or ignore)"
        )
    if record.earlier_command:
        return (
            f"the channel deleted message {number}, a follow-up: what it did stays done; where "
            "it had not acted yet, it never acts"
        )
    if record.first_seen:
        return (
            f"the channel deleted message {number} before it arrived here: it will not be acted on"
        )
    return f"the channel deleted message {number}; it was not a signal: nothing changes"


def plan_deletion(
    action: OnSignalDeleted, positions: Sequence[Position], orders: Sequence[PendingOrder]
) -> list[Operation]:
    """Return what a deleted signal's own positions and pending orders undergo for a user."""
    if action is OnSignalDeleted.IGNORE:
        return []
    ops = [Operation(kind=ChangeKind.CANCEL, target=order.id) for order in orders]
    if action is OnSignalDeleted.CLOSE:
        ops += [Operation(kind=ChangeKind.CLOSE, target=position.id) for position in positions]
    return ops


def is_withdrawal(intent: Intent) -> bool:
    """Return whether a follow-up is its own signal's post edited into one (e.g. "CANCELLED")."""
    return (
        intent.kind is IntentKind.COMMAND
        and intent.version != 0
        and intent.reply_to == intent.message_id
    )


def withdrawal(setting: OnSignalDeleted) -> OnSignalDeleted:
    """Return what a signal its channel edited into a cancel undergoes for a user.

    The channel took it back, as by deleting it: one setting says what happens to its filled
    positions for both. Its unfilled orders always go, as the channel said so in words.
    """
    closes = setting is OnSignalDeleted.CLOSE
    return OnSignalDeleted.CLOSE if closes else OnSignalDeleted.CANCEL_PENDING


def kept_by_cancel(kept: int) -> str:
    """Return why a reply's cancel left a signal's filled positions open."""
    return (
        f"kept {kept} filled position(s): a cancel takes back only orders that have not filled "
        "(close them by hand, or wait for the channel's close)"
    )


def outcome(
    action: OnSignalDeleted,
    cancelled: int,
    closed: int,
    kept: int,
    *,
    retried: bool = False,
    how: str = "deleted",
    setting: OnSignalDeleted | None = None,
) -> str:
    """Return the sentence a user reads about what a deleted (or `how`) signal's end did.

    `retried`: an earlier attempt was cut short (its cancels are not on record, only gone).
    `setting`: the user's own, when `action` was derived from it (see `withdrawal`).
    """
    done = [f"cancelled {cancelled} pending order(s)"] if cancelled else []
    if closed:
        done.append(f"closed {closed} position(s)")
    if kept and action is OnSignalDeleted.CANCEL_PENDING:
        done.append(f"kept {kept} filled position(s) (on_signal_deleted: {setting or action})")
    left = "cancel or close" if action is OnSignalDeleted.CLOSE else "cancel"
    what = "; ".join(done) if done else f"nothing of it was left to {left}"
    if retried and not (cancelled or closed):
        what += " (an earlier attempt that was cut short may have done it)"
    return f"the channel {how} this signal: {what}"
