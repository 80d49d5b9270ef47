"""A channel message version: remember it once, fan it out, and resume what waited for it.

Every step is safe to repeat and to run in any order with the others: a version is remembered in
one transaction against its message's history (core/history.py), fan-out is redone when a crash
interrupted it, and anything that waited for this message (a later edit, a parked follow-up) is
woken once this message's intents are published.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from signal_copier.core import codec, history, ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import Intent, Parse, RawMessage
from signal_copier.core.parsing import parse
from signal_copier.core.ports import Publication
from signal_copier.core.records import MessageRecord, Subscription
from signal_copier.core.reports import as_report
from signal_copier.services.deps import INTENTS_TOPIC, Deps

log = logging.getLogger(__name__)
NOTHING = Parse(reason="deleted")  # a deletion has no text to read
DELETED_BEFORE_PLACED = "the channel deleted this signal before it was placed"


async def remember(message: RawMessage, deps: Deps) -> MessageRecord | None:
    """Remember a delivered version and act on it; None for a redelivery already acted on.

    InvalidInput (nothing stored) for ids no store can hold.
    """
    _check(message)
    parsed = NOTHING if message.deleted else as_report(parse(message.text), message.reply_to)
    wait = deps.timing.followup_bound
    done = await deps.store.remember_message(
        message.chat_id,
        message.message_id,
        message.version,
        lambda stored: _done_if_silent(history.new_record(message, parsed, stored, wait)),
    )
    record = done.record
    if record is None:
        return None
    # A redelivery of a version acted on; a crash before its fan-out finished falls through.
    redelivered = not done.fresh and (record.fanned_out >= 0 or record.wait_until is not None)
    if record.wait_until is None:
        if not redelivered:
            await _act(record, deps)
        else:  # a crash may have come between its fan-out and the wake-up: wake again
            await wake(deps, record.chat_id, record.message_id)
        await _finish_others(done.history, record, deps)
    return None if redelivered else record


async def resume(waiting: MessageRecord, deps: Deps, *, expired: bool) -> MessageRecord | None:
    """Act on a version that waited for its original (now stored, or its wait is over)."""
    done = await deps.store.remember_message(
        waiting.chat_id,
        waiting.message_id,
        waiting.version,
        lambda stored: history.resumed_record(waiting, stored, expired=expired),
    )
    if not done.fresh or done.record is None:
        return None
    await _act(done.record, deps)
    return done.record


async def resume_expired(deps: Deps, now: datetime) -> int:
    """Act on versions whose wait for their original is over (a sweep step); return how many."""
    resumed = 0
    for waiting in await deps.store.waiting_messages(now, deps.timing.sweep_batch):
        if await resume(waiting, deps, expired=True) is not None:
            resumed += 1
    return resumed


async def wake(deps: Deps, chat_id: str, message_id: int, user_id: str | None = None) -> int:
    """Re-publish follow-ups parked on a message (one user's, or everyone's); return how many."""
    parked = await deps.store.parked_on(chat_id, message_id, user_id)
    await publish_intents(deps, parked)
    return len(parked)


async def deleted(deps: Deps, chat_id: str, message_id: int) -> bool:
    """Return whether the chat deleted the message (its tombstone is stored)."""
    key = ids.message_key(chat_id, message_id, ids.DELETED_VERSION)
    return await deps.store.message(key) is not None


async def publish_intents(deps: Deps, intents: list[Intent]) -> None:
    """Publish intents to the intents topic, with their routing attributes."""
    if intents:
        await deps.queue.publish_many(INTENTS_TOPIC, [_publication(i) for i in intents])


async def _act(record: MessageRecord, deps: Deps) -> None:
    # Page by page: a signal to 10,000 followers publishes one page while the next is read.
    published = 0
    if _may_fan_out(record):
        followers: set[str] = set()
        async for page in deps.store.subscriber_pages(record.chat_id):
            followers.update(s.user_id for s in page)
            intents = intents_for(record, page, trace_id=record.key)
            await publish_intents(deps, intents)
            published += len(intents)
        published += await _reach_holders(record, followers, deps)
    if record.fanned_out != published:  # a silent version was stored as fanned out
        await deps.store.mark_fanned_out(record.key, published)
    await wake(deps, record.chat_id, record.message_id)
    log.info("message %s: %s → %d intents", record.key, record.kind, published)


async def _finish_others(
    stored: tuple[MessageRecord, ...], acted: MessageRecord, deps: Deps
) -> None:
    # Later versions that arrived before this one waited for it: act on them now, in order. A
    # version stored but never fanned out (a crash right after resuming it) is fanned out too.
    for record in sorted(stored, key=lambda h: h.version):
        if record.key == acted.key:
            continue
        if record.wait_until is not None:
            await resume(record, deps, expired=False)
        elif record.fanned_out < 0 and not record.superseded:
            await _act(record, deps)


async def _reach_holders(record: MessageRecord, followers: set[str], deps: Deps) -> int:
    # Users who hold this chat's trades but unfollowed it still get its follow-ups and edits.
    if record.command is None and not (record.earlier_signals or record.earlier_reentry):
        return 0
    holders = [u for u in await deps.store.holders(record.chat_id) if u not in followers]
    left = [Subscription(user_id=user, chat_id=record.chat_id) for user in holders]
    intents = intents_for(record, left, trace_id=record.key, follow_ups_only=True)
    await publish_intents(deps, intents)
    return len(intents)


def _done_if_silent(record: MessageRecord | None) -> MessageRecord | None:
    # A version that can fan out to nobody (chatter, a superseded or bare deleted version) is
    # stored as fanned out to 0 in the step that remembers it: no second write marks it. A
    # crash before its wake-up is redone by the redelivery (see `remember`).
    if record is None or record.wait_until is not None or _may_fan_out(record):
        return record
    return replace(record, fanned_out=0)


def _check(message: RawMessage) -> None:
    if message.deleted and (message.text or message.edit_date is not None):
        raise InvalidInput(f"message {message.id}: a deletion carries no text and no edit_date")
    for label, value in (
        ("message id", message.message_id),
        ("reply_to", message.reply_to),
        ("previous_id", message.previous_id),
    ):
        if value is not None and not (codec.MIN_INT <= value <= codec.MAX_INT):
            raise InvalidInput(f"{label} {value} does not fit a 64-bit integer")


def _may_fan_out(record: MessageRecord) -> bool:
    if record.superseded:
        return False
    if record.deleted:
        return bool(record.earlier_signals) or record.earlier_reentry
    return bool(record.signals) or record.command is not None


def _publication(intent: Intent) -> Publication:
    attributes = {"trace": intent.trace_id, "user": intent.user_id, "chat": intent.chat_id}
    return Publication(payload=codec.to_dict(intent), attributes=attributes)
