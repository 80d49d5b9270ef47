"""Position management driven by broker events: breakeven at TP1, trailing, zone clean-up."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import owned
from signal_copier.core.management import expired_orders, plan_after_close
from signal_copier.core.market import BrokerEvent, DealReason, EventKind, PendingOrder
from signal_copier.core.model import Intent, IntentKind, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.records import TradeRecord
from signal_copier.services import accounts
from signal_copier.services.commands import run_operations, specs_for, target_of
from signal_copier.services.deps import Deps
from signal_copier.services.once import run_once
from signal_copier.services.opening import user_context
from signal_copier.services.records import skipped


async def handle_broker_event(
    event: BrokerEvent, user_id: str, deps: Deps, now: datetime
) -> TradeResult | None:
    """React once to a position of ours closing at its TP; ignore everything else."""
    ours = ids.intent_client_of(event.client_id)
    if event.kind is not EventKind.POSITION_CLOSED or event.reason is not DealReason.TP or not ours:
        return None
    record = await _trade_of(deps, user_id, ours)
    if record is None or record.signal is None:
        return None
    intent = _manage_intent(
        record,
        ids.event_intent_id(user_id, event.client_id, event.position_id, event.kind),
        event.time,
    )
    target = target_of(record)

    async def work(retry: bool) -> TradeResult | None:
        context = await user_context(deps, intent)
        if isinstance(context, TradeResult):
            return context
        try:
            account = await accounts.connect_account(deps, user_id)
            positions, orders = await account.positions(), await account.orders()
            specs = await specs_for(account, owned(positions, target.client_id))
        except Rejected as e:
            return skipped(intent, e.reason, str(e))
        ops = plan_after_close(
            event.client_id, event.reason, target, positions, orders, specs, context[1]
        )
        return await run_operations(account, ops, intent) if ops else None

    return await run_once(intent, deps, now, work)


async def expire_pending(deps: Deps, user_id: str, now: datetime) -> list[TradeResult]:
    """Cancel pending entries older than the user's expiry, once per signal."""
    try:
        account = await accounts.connect_account(deps, user_id)
        orders = await account.orders()
    except Rejected:
        return []
    clients = sorted(ids.copier_intents(o.client_id for o in orders))
    results = []
    for record in await deps.store.trades_by_client(user_id, clients):
        if record.result.fills and record.signal is not None:
            result = await _expire(deps, account, record, orders, now)
            if result is not None:
                results.append(result)
    return results


async def _expire(
    deps: Deps,
    account: BrokerAccount,
    record: TradeRecord,
    orders: list[PendingOrder],
    now: datetime,
) -> TradeResult | None:
    context = await user_context(deps, record.intent)
    if isinstance(context, TradeResult) or record.signal is None:
        return None
    placed = record.recorded_at or record.intent.received
    target = target_of(record)
    ops = expired_orders(placed, target, orders, now, context[1].pending_expiry_minutes)
    if not ops:
        return None
    user_id = record.intent.user_id
    intent = _manage_intent(
        record, ids.event_intent_id(user_id, record.intent.client_id, "", "expiry"), now
    )
    return await run_once(intent, deps, now, lambda retry: run_operations(account, ops, intent))


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
