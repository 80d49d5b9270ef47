"""Waiting entries the sweep looks at again: cancelled at their expiry, or once their call is over.

A trade record carries `due_at`, the next time its waiting entry must be looked at: the user's
pending expiry, and (for a call to trade now that waits as a limit because the price ran from
its entry) every `timing.entry_watch`, until the entry fills or goes, for at most
`timing.entry_watch_for` (then only its expiry, if any, is kept). A call to trade now whose
price reaches its TP1 before the entry fills is over: its waiting entry is cancelled, so a
later pull-back never buys (or sells) a move that already happened. Work is proportional to
what is due.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from signal_copier.core import ids
from signal_copier.core.errors import Rejected, Retryable
from signal_copier.core.followups import Operation, owned
from signal_copier.core.management import expired_orders
from signal_copier.core.model import ChangeKind, Status, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.protection import calls_now, target_passed
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.services import accounts
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.management import manage_intent
from signal_copier.services.once import run_once
from signal_copier.services.operations import run_operations, target_of
from signal_copier.services.records import skipped

Choose = Callable[[BrokerAccount], Awaitable[list[Operation]]]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Look:
    # What a look at a watched entry found: whether it still waits, and why its call is over.
    waiting: bool
    over: str = ""  # its TP1 reached while it waited ("" while it may still fill)


async def look_at_due(deps: Deps, now: datetime) -> list[TradeResult]:
    """Cancel the waiting entries that expired or whose call is over, once each (a sweep step).

    A trade whose account cannot be reached stays due (the step then reports the failure);
    the others are done meanwhile.
    """
    results = []
    failed: Retryable | None = None
    for record in await deps.store.trades_due(now, deps.timing.sweep_batch):
        try:
            result = await _look_again(deps, record, now)
        except Retryable as e:  # one account that cannot be reached must not keep every
            failed = failed or e  # other user's entries from expiring: it stays due
            continue
        if result is not None:
            results.append(result)
    if failed is not None:
        raise failed
    return results


def first_due(
    result: TradeResult, watched: bool, expiry_minutes: int | None, deps: Deps, now: datetime
) -> TradeResult:
    """Return an opening's result with the time its waiting entry is first looked at again.

    At the user's pending expiry, and sooner (`timing.entry_watch`) when it is `watched`.
    """
    if not any(fill.pending for fill in result.fills):
        return result
    due = [now + timedelta(minutes=expiry_minutes)] if expiry_minutes is not None else []
    due += [now + deps.timing.entry_watch] if watched else []
    return replace(result, due_at=min(due)) if due else result


async def _look_again(deps: Deps, record: TradeRecord, now: datetime) -> TradeResult | None:
    signal = record.signal
    minutes = await _expiry_minutes(deps, record)
    placed = record.recorded_at or record.intent.received
    expiry = None if minutes is None else placed + timedelta(minutes=minutes)
    if signal is None or (expiry is not None and expiry <= now):
        result = None if signal is None else await _expire(deps, record, now, minutes)
        await _set_due(deps, record, None)
        return result
    watched = placed + deps.timing.entry_watch_for > now
    if not (watched and calls_now(signal) and any(fill.pending for fill in record.result.fills)):
        # The user changed the expiry meanwhile, or the entry was watched for long enough: a
        # watch without end made every sweep look at every entry that ever waited.
        await _set_due(deps, record, expiry)
        return None
    look = await _watch(deps, record)
    if look.waiting and not look.over:  # still waiting for its pull-back: look again soon
        watch = now + deps.timing.entry_watch
        await _set_due(deps, record, watch if expiry is None else min(expiry, watch))
        return None
    result = await _cancel_over(deps, record, now, look.over) if look.waiting else None
    await _set_due(deps, record, None)
    return result


async def _expiry_minutes(deps: Deps, record: TradeRecord) -> int | None:
    # The user's expiry as it is now (they may have changed it since the entry was placed).
    context = await user_context(deps, record.intent, opening=False)
    return None if isinstance(context, TradeResult) else context[1].pending_expiry_minutes


async def _watch(deps: Deps, record: TradeRecord) -> _Look:
    signal, client_id = record.signal, record.intent.client_id
    assert signal is not None
    try:
        account = await accounts.connect_account(deps, record.intent.user_id)
        _, orders = await account.legs_of([client_id])
    except Rejected:
        return _Look(waiting=False)  # the account is gone from the copier: nothing is watched
    waiting = owned(orders, client_id)
    if not waiting:  # it filled, or was cancelled
        return _Look(waiting=False)
    entry = waiting[0]
    spec, quote = await account.symbol_spec(entry.symbol), await account.quote(entry.symbol)
    first = target_passed(signal, spec, quote, entry.price)
    if first is None:
        return _Look(waiting=True)
    closing = quote.price_for(signal.side, closing=True)
    over = (
        f"price {closing} reached TP1 {first} while the entry at {entry.price} waited: the move "
        "this signal called is over, so its waiting entry was cancelled"
    )
    return _Look(waiting=True, over=over)


async def _expire(
    deps: Deps, record: TradeRecord, now: datetime, minutes: int | None
) -> TradeResult | None:
    placed, target = record.recorded_at or record.intent.received, target_of(record)

    async def choose(account: BrokerAccount) -> list[Operation]:
        return expired_orders(placed, target, await account.orders(), now, minutes)

    return await _cancel_once(deps, record, now, "expiry", choose)


async def _cancel_over(
    deps: Deps, record: TradeRecord, now: datetime, detail: str
) -> TradeResult | None:
    client_id = record.intent.client_id

    async def choose(account: BrokerAccount) -> list[Operation]:
        _, orders = await account.legs_of([client_id])
        return [Operation(kind=ChangeKind.CANCEL, target=o.id) for o in owned(orders, client_id)]

    def why(result: TradeResult) -> TradeResult:
        if result.status is not Status.APPLIED:
            return replace(result, notes=(*result.notes, detail))
        return replace(result, reason=Reason.TARGET_REACHED, detail=detail)

    return await _cancel_once(deps, record, now, "target_reached", choose, why)


async def _cancel_once(
    deps: Deps,
    record: TradeRecord,
    now: datetime,
    kind: str,
    choose: Choose,
    why: Callable[[TradeResult], TradeResult] | None = None,
) -> TradeResult | None:
    # One management intent per (trade, kind): a redelivered or repeated sweep cancels once.
    user_id = record.intent.user_id
    intent = manage_intent(record, ids.event_intent_id(user_id, record.intent.client_id, kind), now)

    async def work(retry: bool) -> TradeResult | None:
        try:
            account = await accounts.connect_account(deps, user_id)
            ops = await choose(account)
        except Rejected as e:
            return skipped(intent, e.reason, str(e))
        if not ops:
            return None
        result = await run_operations(account, ops, intent)
        return result if why is None else why(result)

    return await run_once(intent, deps, now, work)


async def _set_due(deps: Deps, record: TradeRecord, due: datetime | None) -> None:
    # Only the due time changes: an edit may have updated the record since it was read.
    user_id, intent_id = record.intent.user_id, record.intent.id
    await deps.store.update_trade(user_id, intent_id, lambda r: replace(r, due_at=due))
