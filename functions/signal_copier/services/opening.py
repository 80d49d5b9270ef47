"""Open a signal on one user's account: settings, guards, quota, plan, place, reconcile."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import guards
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, CopierError, Rejected
from signal_copier.core.guards import Skip
from signal_copier.core.model import (
    Fill,
    Intent,
    OrderPlan,
    Signal,
    Status,
    TradeResult,
)
from signal_copier.core.planning import plan_orders
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.protection import calls_now
from signal_copier.core.quotas import period_key, trade_limit
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.services import account_limits, accounts, waiting
from signal_copier.services import opening_checks as checks
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.market import Snapshot
from signal_copier.services.placing import (
    held_on_symbol,
    placed_before,
    send_orders,
    undo_fills,
)
from signal_copier.services.records import skipped
from signal_copier.services.reservations import give_back, hold_symbol, settle, symbol_mark
from signal_copier.services.targets import Wait


def refused(intent: Intent, error: CopierError) -> TradeResult:
    """Return the record of an intent refused by a dependency (nothing more was sent)."""
    return skipped(intent, error.reason, str(error))


async def open_signal(
    intent: Intent, signal: Signal, deps: Deps, now: datetime, *, retry: bool
) -> TradeResult | Wait:
    """Open one signal for one user, or record why not; quota is only spent on placed trades.

    On a retry, the legs an earlier attempt placed are adopted first (a guard must never orphan
    the trade's own position); legs still missing are sent only while the user may trade and
    the signal is young enough (its max age plus the retry grace).
    """
    context = await user_context(deps, intent, opening=True)
    found = await existing(deps, intent) if retry else {}
    if isinstance(context, TradeResult):  # unfollowed (or its settings refused) meanwhile
        return await _kept(deps, intent, found, _why(context), now) if found else context
    user, settings = context
    skip = checks.pre_broker_guards(
        user, signal, settings, intent, now, adopting=bool(found), deps=deps
    ) or await checks.taken_back(deps, intent)
    if skip and found:
        return await _kept(deps, intent, found, skip, now)
    if not skip and not found:
        ahead = await checks.posted_before(
            deps, intent, signal, now, limited=checks.limited(user, settings)
        )
        if isinstance(ahead, Wait):
            return ahead
        skip = ahead
    if skip:
        await give_back(deps, intent)  # an earlier attempt may hold some
        return skipped(intent, skip.reason, skip.detail)
    period = period_key(intent.received)
    if not await deps.store.reserve_quota(user.user_id, period, intent.id, trade_limit(user.plan)):
        await deps.store.record_missed(user.user_id, period, intent.id)
        return skipped(intent, Reason.QUOTA, f"the {user.plan} plan's daily trades are used up")
    # A holder before any leg is sent: the chat's follow-ups reach the trade even if the user
    # unfollows while this opening is still retrying.
    await deps.store.add_holder(intent.chat_id, intent.user_id)
    result = await _placed(intent, signal, settings, deps, now, found, user)
    if result.reason is Reason.DAILY_LOSS_LIMIT:
        await accounts.pause(deps, user.user_id, result.reason, accounts.next_midnight(now))
    if result.status is not Status.PLACED:
        await give_back(deps, intent)
    elif result.fills:
        await settle(deps, intent, settings)
        await keep_managed(deps, intent, now)
    watched = calls_now(signal)  # a call to trade now waiting as a limit is watched
    return waiting.first_due(result, watched, settings.pending_expiry_minutes, deps, now)


async def keep_managed(deps: Deps, intent: Intent, now: datetime) -> None:
    """Have an opening's legs on the account managed (it placed some, or gave up with some)."""
    # The sweep polls the account's deals for SL/TP hits and fills, and the chat's follow-ups
    # reach the user even after they unfollow it.
    await deps.store.watch(intent.user_id, now - deps.timing.deal_margin, now)
    await deps.store.add_holder(intent.chat_id, intent.user_id)


async def existing(deps: Deps, intent: Intent) -> dict[str, Fill]:
    """Return the legs of `intent` on the account (BrokerUnavailable if it can't be read)."""
    try:
        account = await accounts.connect_account(deps, intent.user_id)
    except Rejected:
        return {}
    return await placed_before(account, intent)


async def has_placed(deps: Deps, intent: Intent) -> bool:
    """Return whether any leg of `intent` reached the account (Retryable if it can't tell)."""
    return bool(await existing(deps, intent))


async def _placed(
    intent: Intent,
    signal: Signal,
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
    found: dict[str, Fill],
    user: UserRecord,
) -> TradeResult:
    try:
        result = await _trade(intent, signal, settings, deps, now, found)
    except BrokerUnavailable:
        await accounts.note_broker_failure(deps, intent.user_id, now)
        raise
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    await accounts.note_broker_success(deps, user)
    return result


async def _trade(
    intent: Intent,
    signal: Signal,
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
    found: dict[str, Fill],
) -> TradeResult:
    account = await accounts.connect_account(deps, intent.user_id)
    found_on, limits = await _instrument(deps, account, intent, signal, settings, now, found)
    symbol, spec, quote, info = found_on.symbol, found_on.spec, found_on.quote, found_on.info
    # The mark before the symbol's read: openings settled by then show in it.
    mark = None if found else await symbol_mark(deps, intent, settings, info)
    held = await held_on_symbol(account, info, symbol)
    skip = None
    if not found:
        skip = (
            guards.check_market(signal, quote, spec, settings)
            or await account_limits.judge(deps, settings, intent, now, limits)
            or await hold_symbol(deps, intent, settings, info, symbol, (held, mark), now)
        )
    plan = skip or plan_orders(
        intent_id=intent.id,
        client_id=intent.client_id,
        signal=signal,
        settings=settings,
        spec=spec,
        quote=quote,
        balance=info.balance,
        broker_symbol=symbol,
        margin_mode=info.margin_mode,
        held_on_symbol=held,
    )
    if isinstance(plan, Skip):
        if found:  # keep what is on the account; the rest of the plan no longer fits
            return _adopted(intent, found, plan, symbol)
        return skipped(intent, plan.reason, plan.detail, symbol)
    fills, errors = await send_orders(account, plan, found)
    result = _outcome(intent, symbol, plan, fills, errors)
    return await _undone_if_killed(deps, account, intent, result)


async def _instrument(
    deps: Deps,
    account: BrokerAccount,
    intent: Intent,
    signal: Signal,
    settings: TradeSettings,
    now: datetime,
    found: dict[str, Fill],
) -> tuple[Snapshot, account_limits.Reads | BaseException | None]:
    # The instrument, and beside it what the account guards will judge (a retry that adopts
    # legs judges none).
    instrument = deps.instruments.snapshot(
        intent.user_id, account, signal.symbol, settings.symbol_map, now
    )
    if found or not account_limits.wanted(settings):
        return await instrument, None
    return await account_limits.beside(instrument, deps, account, intent, settings, now)


async def _undone_if_killed(
    deps: Deps, account: BrokerAccount, intent: Intent, result: TradeResult
) -> TradeResult:
    # The kill switch may have been pressed while these orders were on their way: what it did
    # not see must not stay open.
    user = await deps.store.get_user(intent.user_id)
    if user is None or guards.check_killed(user.killed_at, checks.arrived(intent)) is None:
        return result
    changes = await undo_fills(account, result.fills)
    note = "closed again at once: the kill switch was pressed while it was being placed"
    return replace(result, changes=tuple(changes), notes=(*result.notes, note))


async def _kept(
    deps: Deps, intent: Intent, found: dict[str, Fill], why: Skip, now: datetime
) -> TradeResult:
    # Legs an attempt placed after the kill switch's sweep must not stay open either; others
    # stay managed (the channel's follow-ups reach them even after the user unfollowed it).
    kept = _adopted(intent, found, why)
    if why.reason is not Reason.KILL_SWITCH:
        await keep_managed(deps, intent, now)
        return kept
    account = await accounts.connect_account(deps, intent.user_id)
    return await _undone_if_killed(deps, account, intent, kept)


def _why(skipped_result: TradeResult) -> Skip:
    return Skip(reason=skipped_result.reason, detail=skipped_result.detail)


def _adopted(intent: Intent, found: dict[str, Fill], why: Skip, symbol: str = "") -> TradeResult:
    # The legs an earlier attempt placed stay (and stay managed); no new leg is sent.
    note = f"kept the {len(found)} leg(s) already placed; sent no more: {why.detail}"
    plan = OrderPlan(intent_id=intent.id, orders=(), notes=(note,))
    return _outcome(intent, symbol, plan, list(found.values()), [])


def _outcome(
    intent: Intent, symbol: str, plan: OrderPlan, fills: list[Fill], errors: list[BrokerRejected]
) -> TradeResult:
    # Some legs may be refused while others fill: the trade is placed, the refusals noted.
    # Each leg keeps the stop its volume was sized for (an edit widening it is judged by it).
    stops = {order.client_id: order.sl for order in plan.orders}
    fills = [replace(fill, sl=stops.get(fill.client_id, fill.sl)) for fill in fills]
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.PLACED if fills else Status.REJECTED,
        symbol=symbol,
        reason=Reason.NONE if fills else (errors[0].reason if errors else Reason.NOTHING_PLACED),
        detail="; ".join(str(e) for e in errors),
        fills=tuple(fills),
        notes=plan.notes,
    )
