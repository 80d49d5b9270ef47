"""The two pipeline use cases: a channel message → intents; an intent → orders, exactly once."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from signal_copier import logs
from signal_copier.core import ids
from signal_copier.core.errors import (
    BrokerUnavailable,
    CopierError,
    InFlight,
    InvalidInput,
    Rejected,
)
from signal_copier.core.model import (
    Action,
    Command,
    Fill,
    Intent,
    IntentKind,
    RawMessage,
    Status,
    TradeResult,
)
from signal_copier.core.reasons import Reason
from signal_copier.core.records import ClaimState, MessageRecord
from signal_copier.core.redact import describe_error
from signal_copier.core.reentry import is_reentry
from signal_copier.core.reruns import STOP_PART_ONLY
from signal_copier.services import (
    commands,
    deletes,
    edit_risk,
    edits,
    messages,
    opening,
    reentry,
    reports,
    reruns,
    reservations,
)
from signal_copier.services.deps import Deps
from signal_copier.services.once import Recorded, run_once
from signal_copier.services.targets import Wait

log = logging.getLogger(__name__)
OPENING = (IntentKind.OPEN, IntentKind.EDIT)


@logs.traced(lambda message, *_: message.id)
async def handle_message(message: RawMessage, deps: Deps, now: datetime) -> MessageRecord | None:
    """Remember a message version once, and publish one intent per subscriber when it is due.

    Returns None for a redelivery already acted on (see services/messages.py).
    """
    return await messages.remember(message, deps)


@logs.traced(lambda intent, *_: intent.trace_id)
async def execute_intent(intent: Intent, deps: Deps, now: datetime) -> TradeResult | None:
    """Execute one user's intent once: check it, claim, decide, act, record.

    None if it did not finish here (already done, or parked until its target is done).
    InvalidInput (acknowledge, nothing done) if the intent's id does not match its parts.
    """
    _check_genuine(intent)

    async def give_up(attempt: int) -> TradeResult:
        detail = f"gave up after {attempt - 1} attempts"
        return await failed(intent, detail, Reason.RETRY, deps, now)

    async def work(retry: bool) -> TradeResult | Recorded | Wait | None:
        # A function, not a lambda: it stays on the stack while the work runs (a late opening
        # publishes from inside it; tests/publish_sites.py finds publishes by their stacks).
        return await _dispatch(intent, deps, now, retry=retry)

    return await run_once(intent, deps, now, work, give_up)


@logs.traced(lambda intent, *_: intent.trace_id)
async def record_failure(
    intent: Intent, error: Exception, deps: Deps, now: datetime
) -> TradeResult | None:
    """Record an intent that was dead-lettered, with whatever of it is on the account.

    It holds the intent's claim while it reads the account and records, as an attempt does: a
    live attempt can neither place meanwhile nor have its reservations given back under it.
    None when it finished meanwhile, a live attempt still holds it (that attempt records it), or
    it is parked (it runs when its target is done, or at its bound: a copy that gave up is moot).
    InvalidInput (acknowledge, nothing recorded) if its id does not match its parts: recording it
    would mark the genuine intent done, and that one would then never run.
    """
    _check_genuine(intent)
    if (await deps.store.claim_states([intent.id])).get(intent.id) is ClaimState.PARKED:
        return None
    reason = error.reason if isinstance(error, CopierError) else Reason.INTERNAL_ERROR
    detail = f"gave up after retries: {describe_error(error)}"

    async def give_up(_: bool) -> TradeResult:
        return await failed(intent, detail, reason, deps, now)

    try:
        result = await run_once(intent, deps, now, give_up)
    except InFlight:
        return None
    if result is not None:
        log.error("intent %s failed: %s", intent.id, reason, extra={"trace_id": intent.trace_id})
    return result


async def failed(
    intent: Intent, detail: str, reason: Reason, deps: Deps, now: datetime
) -> TradeResult:
    """Return the FAILED result of an intent that gave up, listing its legs on the account.

    The legs keep being managed (polled, reached by follow-ups) and shown. Its quota is given
    back when the account shows none; when the account cannot be asked, the reservation stays
    (counted once, never traded twice).
    """
    fills: tuple[Fill, ...] = ()
    if intent.kind in OPENING or is_reentry(intent.command):  # a re-entry opens legs too
        try:
            fills = tuple((await opening.existing(deps, intent)).values())
        except BrokerUnavailable:
            detail = f"{detail}; the account could not be read: check it for this trade"
        else:
            if fills:
                await opening.keep_managed(deps, intent, now)
            else:
                await reservations.give_back(deps, intent)
    if intent.kind is IntentKind.EDIT or (
        intent.kind is IntentKind.COMMAND and not is_reentry(intent.command)
    ):  # a waiting order it was resizing may be gone
        detail = "; ".join([detail, *await edit_risk.abandoned(deps, intent)])
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.FAILED,
        reason=reason,
        detail=detail,
        fills=fills,
    )


def _check_genuine(intent: Intent) -> None:
    if intent.kind is IntentKind.MANAGE:
        # Made from a broker event where it runs; one read from the topic could claim (and so
        # block) the id a real event needs.
        raise InvalidInput(f"intent {intent.id!r}: management intents never travel the topic")
    expected = ids.intent_id(
        intent.chat_id, intent.message_id, intent.version, intent.user_id, intent.part
    )
    if intent.id != expected:
        raise InvalidInput(f"intent {intent.id!r} does not match its chat, message and user")


async def _dispatch(
    intent: Intent, deps: Deps, now: datetime, *, retry: bool
) -> TradeResult | Recorded | Wait | None:
    try:
        if intent.kind is IntentKind.OPEN and intent.signal is not None:
            return await opening.open_signal(intent, intent.signal, deps, now, retry=retry)
        command = intent.command
        if intent.kind is IntentKind.COMMAND and command is not None:
            again = await reruns.not_again(intent, command, deps, now)
            if again is not None and not isinstance(again, Command):
                return again  # an edit of a follow-up that does not run again
            if is_reentry(command):  # a new trade, on the signal it refers to
                return await reentry.reenter(intent, command, deps, now, retry)
            # An edited partial close whose close already ran: only its stop change.
            run = command if again is None else again
            # A result the channel reports under its signal is no instruction (services/reports).
            report = run.report and run.action is Action.CANCEL  # a modify told with one acts
            act = reports.apply_report if report else commands.apply_command
            result = await act(intent, run, deps, now, retry)
            return result if run is command else _noted(result)
        if intent.kind is IntentKind.EDIT and intent.signal and intent.previous:
            return await edits.apply_edit(intent, intent.previous, intent.signal, deps, now, retry)
        if intent.kind is IntentKind.DELETE:
            return await deletes.apply_deletion(intent, deps, now, retry=retry)
    except Rejected as e:
        return opening.refused(intent, e)
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.SKIPPED,
        reason=Reason.INVALID_INTENT,
        detail=f"a {intent.kind} intent without its signal or command",
    )


def _noted(result: TradeResult | Wait | None) -> TradeResult | Wait | None:
    if not isinstance(result, TradeResult):
        return result
    return replace(result, notes=(*result.notes, STOP_PART_ONLY))
