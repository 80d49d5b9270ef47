"""The two pipeline use cases: a channel message → intents; an intent → orders, exactly once."""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime

from signal_copier.core import codec
from signal_copier.core.errors import CopierError
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import (
    Intent,
    IntentKind,
    Parse,
    RawMessage,
    Signal,
    Status,
    TradeResult,
)
from signal_copier.core.parsing import parse
from signal_copier.core.ports import Publication
from signal_copier.core.quotas import period_key
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord
from signal_copier.services import commands, edits, opening
from signal_copier.services.deps import INTENTS_TOPIC, Deps
from signal_copier.services.once import run_once
from signal_copier.services.records import save_result

log = logging.getLogger(__name__)


async def handle_message(message: RawMessage, deps: Deps, now: datetime) -> MessageRecord | None:
    """Parse a message once, remember it, and publish one intent per subscriber.

    Returns None for a duplicate delivery whose intents were already published.
    """
    parsed = parse(message.text)
    previous: MessageRecord | None = None
    newer = False

    def build(history: tuple[MessageRecord, ...]) -> MessageRecord | None:
        nonlocal previous, newer
        if any(h.key == message.id for h in history):
            return None
        earlier = [h for h in history if h.version < message.version]
        previous = earlier[-1] if earlier else None
        newer = any(h.version > message.version for h in history)
        return _record(message, parsed, previous)

    done = await deps.store.remember_message(
        message.chat_id, message.message_id, message.version, build
    )
    record = done.record
    if record is None:
        return None
    if not done.fresh and record.fanned_out >= 0:
        return None  # a redelivery; a crash before fan-out finished falls through to redo it
    if not done.fresh:
        earlier = [h for h in done.history if h.version < message.version]
        previous = earlier[-1] if earlier else None
        newer = any(h.version > message.version for h in done.history)
    intents = []
    if not newer:  # a version that arrives after a later one (even the original) changes nothing
        subscribers = await deps.store.subscribers(message.chat_id)
        intents = intents_for(message, record, previous, subscribers, trace_id=message.id)
    await deps.queue.publish_many(INTENTS_TOPIC, [_publication(intent) for intent in intents])
    await deps.store.mark_fanned_out(record.key, len(intents))
    log.info("message %s: %s → %d intents", message.id, record.kind, len(intents))
    return record


def _publication(intent: Intent) -> Publication:
    attributes = {"trace": intent.trace_id, "user": intent.user_id, "chat": intent.chat_id}
    return Publication(payload=codec.to_dict(intent), attributes=attributes)


def _record(message: RawMessage, parsed: Parse, previous: MessageRecord | None) -> MessageRecord:
    earlier_signals: tuple[Signal, ...] = ()
    earlier_command = False
    if previous is not None:
        earlier_signals = previous.signals or previous.earlier_signals
        earlier_command = previous.command is not None or previous.earlier_command
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
        earlier_signals=earlier_signals,
        earlier_command=earlier_command,
        text=message.text,
        chat_title=message.chat_title,
        reply_to=message.reply_to,
        previous_id=message.previous_id,
        received=message.received,
    )


async def execute_intent(intent: Intent, deps: Deps, now: datetime) -> TradeResult | None:
    """Execute one user's intent once: claim, decide, act, record. None if already done."""
    return await run_once(
        intent, deps, now, lambda retry: _dispatch(intent, deps, now, retry=retry)
    )


async def record_failure(
    intent: Intent, error: Exception, deps: Deps, now: datetime
) -> TradeResult:
    """Record an intent that gave up after its retries (dead-lettered), so the user sees it.

    Its quota is given back when the account shows none of its legs; when the account cannot
    be asked, the reservation stays (counted once, never a second trade).
    """
    reason = error.reason if isinstance(error, CopierError) else Reason.INTERNAL_ERROR
    result = TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.FAILED,
        reason=reason,
        detail=f"gave up after retries: {error}",
    )
    await save_result(deps, intent, result, now)
    if intent.kind in (IntentKind.OPEN, IntentKind.EDIT):
        with suppress(CopierError):
            if not await opening.has_placed(deps, intent):
                period = period_key(intent.received)
                await deps.store.release_quota(intent.user_id, period, intent.id)
    log.error("intent %s failed: %s", intent.id, reason, extra={"trace_id": intent.trace_id})
    return result


async def _dispatch(intent: Intent, deps: Deps, now: datetime, *, retry: bool) -> TradeResult:
    if intent.kind is IntentKind.OPEN and intent.signal is not None:
        return await opening.open_signal(intent, intent.signal, deps, now, retry=retry)
    if intent.kind is IntentKind.COMMAND and intent.command is not None:
        return await commands.apply_command(intent, intent.command, deps, now, retry)
    if intent.kind is IntentKind.EDIT and intent.signal and intent.previous:
        return await edits.apply_edit(intent, intent.previous, intent.signal, deps, now, retry)
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.SKIPPED,
        reason=Reason.INVALID_INTENT,
        detail=f"a {intent.kind} intent without its signal or command",
    )
