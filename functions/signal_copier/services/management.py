"""Position management driven by broker events: breakeven at TP1, trailing, zone clean-up."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from signal_copier.core import ids
from signal_copier.core.errors import InFlight, Rejected, Retryable
from signal_copier.core.management import expired_orders, plan_after_close
from signal_copier.core.market import BrokerEvent, DealReason, EventKind
from signal_copier.core.model import ChangeKind, Intent, IntentKind, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.reconcile import with_levels_found_set
from signal_copier.core.records import TradeRecord
from signal_copier.services import accounts
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.once import run_once
from signal_copier.services.operations import legs_of, run_operations, specs_for, target_of
from signal_copier.services.records import skipped


async def handle_broker_event(
    event: BrokerEvent, user_id: str, deps: Deps, now: datetime
) -> TradeResult | None:
    """React once to a position of ours closing at its TP; ignore everything else.

    InFlight (redeliver) when the trade is not recorded yet: the event may overtake the
    opening that placed it, within `unrecorded_wait` of the event.
    """
    ours = ids.intent_client_of(event.client_id)
    if event.kind is not EventKind.POSITION_CLOSED or event.reason is not DealReason.TP or not ours:
        return None
    record = await _trade_of(deps, user_id, ours)
    if record is None and now - event.time < deps.timing.unrecorded_wait:
        raise InFlight(f"the trade {ours} is still being recorded: this event comes again")
    if record is None or record.signal is None:
        return None
    intent = _manage_intent(
        record,
        ids.event_intent_id(user_id, event.client_id, event.kind),
        event.time,
    )
    target = target_of(record)

    async def work(retry: bool) -> TradeResult | None:
        context = await user_context(deps, intent)
        if isinstance(context, TradeResult):
            return context
        try:
            account = await accounts.connect_account(deps, user_id)
            positions, orders = await legs_of(account, [target])
            specs = await specs_for(account, positions)
        except Rejected as e:
            return skipped(intent, e.reason, str(e))
        ops = plan_after_close(
            event.client_id, event.reason, target, positions, orders, specs, context[1]
        )
        stops = {p.id: p.sl for p in positions}
        already = [op for op in ops if op.kind is ChangeKind.SL and stops.get(op.target) == op.sl]
        ops = [op for op in ops if op not in already]
        result = await run_operations(account, ops, intent) if ops else None
        if retry and already:  # the attempt cut short moved them and recorded nothing
            nothing = skipped(intent, Reason.NOTHING_TO_CHANGE, "")
            filed = await deps.store.trades(user_id, record.signal_ref)
            found = with_levels_found_set(result or nothing, already, filed)
            return found if found.changes or result is not None else None
        return result

    return await run_once(intent, deps, now, work)


async def expire_due(deps: Deps, now: datetime) -> list[TradeResult]:
    """Cancel pending entries whose expiry has come, once per signal (a sweep step).

    Work is proportional to what is due: trades carry the time they must be looked at again.
    A trade whose account cannot be reached stays due (the step then reports the failure);
    the others are done meanwhile.
    """
    results = []
    failed: Retryable | None = None
    for record in await deps.store.trades_due(now, deps.timing.sweep_batch):
        try:
            result = await _expire(deps, record, now)
        except Retryable as e:  # one account that cannot be reached must not keep every
            failed = failed or e  # other user's entries from expiring: it stays due
            continue
        if result is not None:
            results.append(result)
    if failed is not None:
        raise failed
    return results


async def _expire(deps: Deps, record: TradeRecord, now: datetime) -> TradeResult | None:
    context = await user_context(deps, record.intent, opening=False)
    minutes = None if isinstance(context, TradeResult) else context[1].pending_expiry_minutes
    placed = record.recorded_at or record.intent.received
    if minutes is None or record.signal is None:
        await _set_due(deps, record, None)  # expiry was turned off
        return None
    due = placed + timedelta(minutes=minutes)
    if due > now:  # the user lengthened the expiry meanwhile
        await _set_due(deps, record, due)
        return None
    user_id = record.intent.user_id
    intent = _manage_intent(
        record, ids.event_intent_id(user_id, record.intent.client_id, "expiry"), now
    )

    async def work(retry: bool) -> TradeResult | None:
        try:
            account = await accounts.connect_account(deps, user_id)
            orders = await account.orders()
        except Rejected as e:
            return skipped(intent, e.reason, str(e))
        ops = expired_orders(placed, target_of(record), orders, now, minutes)
        return await run_operations(account, ops, intent) if ops else None

    result = await run_once(intent, deps, now, work)
    await _set_due(deps, record, None)
    return result


async def _set_due(deps: Deps, record: TradeRecord, due: datetime | None) -> None:
    # Only the due time changes: an edit may have updated the record since it was read.
    user_id, intent_id = record.intent.user_id, record.intent.id
    await deps.store.update_trade(user_id, intent_id, lambda r: replace(r, due_at=due))


async def _trade_of(deps: Deps, user_id: str, client_id: str) -> TradeRecord | None:
    for record in await deps.store.trades_by_client(user_id, [client_id]):
        if record.intent.kind in (IntentKind.OPEN, IntentKind.EDIT) and record.result.fills:
            return record
    return None


def _manage_intent(record: TradeRecord, intent_id: str, at: datetime) -> Intent:
    return Intent(
        id=intent_id,
        user_id=record.intent.user_id,
        kind=IntentKind.MANAGE,
        chat_id=record.intent.chat_id,
        message_id=record.intent.message_id,
        version=record.intent.version,
        message_date=at,
        received=at,
        signal=record.intent.signal,
        trace_id=record.intent.trace_id,
    )
