"""Recording outcomes so users see what happened to every intent, and why."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.model import Intent, IntentKind, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.redact import bounded
from signal_copier.services.deps import Deps


def skipped(intent: Intent, reason: Reason, detail: str, symbol: str = "") -> TradeResult:
    """Return a SKIPPED result: nothing was sent to the broker."""
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.SKIPPED,
        reason=reason,
        detail=detail,
        symbol=symbol,
    )


def signal_ref(intent: Intent) -> str:
    """Return the ref of the signal an intent belongs to (a reply's parent for commands)."""
    if intent.kind is IntentKind.COMMAND and intent.reply_to is not None:
        return ids.signal_ref(intent.chat_id, intent.reply_to)
    return ids.signal_ref(intent.chat_id, intent.message_id)


def of_post(records: list[TradeRecord], intent: Intent) -> list[TradeRecord]:
    """Return a signal's filed records less its re-entries' (an edit's levels are its post's).

    A re-entry is filed with the signal it repeats, with its own entry and levels: the signal's
    deletion or cancel takes it back, but an edit of the signal's levels is not about it.
    """
    return [
        r
        for r in records
        if r.intent.kind is not IntentKind.OPEN or r.intent.message_id == intent.message_id
    ]


def trade_record(
    intent: Intent, result: TradeResult, now: datetime, *, group: int | None = None
) -> TradeRecord:
    """Return one intent's outcome with what later follow-ups need to find its trades.

    `group`: the signal message it is filed under when that is not its own (a re-entry's).
    The user reads its detail and notes: they are redacted and bounded here, on the way in.
    """
    ref = signal_ref(intent) if group is None else ids.signal_ref(intent.chat_id, group)
    return TradeRecord(
        intent=intent,
        result=_readable(result),
        broker_symbol=result.symbol,
        signal_ref=ref,
        recorded_at=now,
        due_at=result.due_at,
    )


async def save_result(deps: Deps, intent: Intent, result: TradeResult, now: datetime) -> None:
    """Store one intent's outcome (outside a claim: failures seen after the last retry)."""
    await deps.store.save_trade(trade_record(intent, result, now))


def _readable(result: TradeResult) -> TradeResult:
    detail, notes = bounded(result.detail), tuple(bounded(n) for n in result.notes)
    if detail == result.detail and notes == result.notes:
        return result  # nearly always: no copy (a replace costs more than the check)
    return replace(result, detail=detail, notes=notes)
