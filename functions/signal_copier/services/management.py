"""Position management driven by broker events: breakeven at TP1, trailing, zone clean-up."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import InFlight, Rejected
from signal_copier.core.management import plan_after_close
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
    intent = manage_intent(
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


async def _trade_of(deps: Deps, user_id: str, client_id: str) -> TradeRecord | None:
    for record in await deps.store.trades_by_client(user_id, [client_id]):
        if record.intent.kind in (IntentKind.OPEN, IntentKind.EDIT) and record.result.fills:
            return record
    return None


def manage_intent(record: TradeRecord, intent_id: str, at: datetime) -> Intent:
    """Return the intent under which the copier acts by itself on a recorded trade, at `at`."""
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
