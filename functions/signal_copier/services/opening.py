"""Open a signal on one user's account: settings, guards, quota, plan, place, reconcile."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from signal_copier.core import guards, ids
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, Rejected
from signal_copier.core.guards import Skip
from signal_copier.core.model import Fill, Intent, OrderPlan, Signal, Status, TradeResult
from signal_copier.core.planning import plan_orders
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.quotas import period_key, trade_limit
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.core.settings import TradeSettings, effective_settings
from signal_copier.core.symbol_map import broker_symbol
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.services.placing import placed_before, send_orders
from signal_copier.services.records import skipped


async def user_context(
    deps: Deps, intent: Intent
) -> tuple[UserRecord, TradeSettings] | TradeResult:
    """Load the user and their effective settings for this intent's channel, or a skip."""
    user = await deps.store.get_user(intent.user_id)
    if user is None:
        return skipped(intent, Reason.UNKNOWN_USER, "no such user")
    subscriptions = await deps.store.subscriptions(user.user_id)
    overrides = next((s.overrides for s in subscriptions if s.chat_id == intent.chat_id), {})
    try:
        settings = effective_settings(user.settings, overrides, intent.signal)
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    return user, settings


async def open_signal(
    intent: Intent, signal: Signal, deps: Deps, now: datetime, *, retry: bool
) -> TradeResult:
    """Open one signal for one user, or record why not; quota is only spent on placed trades.

    On a retry, the legs an earlier attempt placed are adopted first: once anything is on the
    account, guards are not run again (a guard must never orphan the trade's own position).
    """
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    user, settings = context
    existing = await _existing(deps, intent) if retry else {}
    skip = None if existing else _pre_broker_guards(user, signal, settings, intent, now)
    period = period_key(intent.received)
    if skip:
        if retry:  # an earlier attempt may hold a reservation for a trade that now won't happen
            await deps.store.release_quota(user.user_id, period, intent.id)
        return skipped(intent, skip.reason, skip.detail)
    if not await deps.store.reserve_quota(user.user_id, period, intent.id, trade_limit(user.plan)):
        await deps.store.record_missed(user.user_id, period, intent.id)
        return skipped(intent, Reason.QUOTA, f"the {user.plan} plan's daily trades are used up")
    try:
        result = await _trade(intent, signal, settings, deps, now, existing)
    except BrokerUnavailable:
        await accounts.note_broker_failure(deps, user.user_id, now)
        raise
    except Rejected as e:
        result = skipped(intent, e.reason, str(e))
    else:
        await accounts.note_broker_success(deps, user)
    if result.reason is Reason.DAILY_LOSS_LIMIT:
        await accounts.pause(deps, user.user_id, result.reason, accounts.next_midnight(now))
    if result.status is not Status.PLACED:
        await deps.store.release_quota(user.user_id, period, intent.id)
    return result


async def has_placed(deps: Deps, intent: Intent) -> bool:
    """Return whether any leg of `intent` reached the account (Retryable if it can't tell)."""
    return bool(await _existing(deps, intent))


def _pre_broker_guards(
    user: UserRecord, signal: Signal, settings: TradeSettings, intent: Intent, now: datetime
) -> Skip | None:
    return (
        guards.check_user(user.active, user.paused_reason, user.paused_until, now)
        or guards.check_age(intent.message_date, now, settings.max_signal_age_s)
        or guards.check_signal(signal, settings, now)
    )


async def _existing(deps: Deps, intent: Intent) -> dict[str, Fill]:
    try:
        account = await accounts.connect_account(deps, intent.user_id)
    except Rejected:
        return {}
    return await placed_before(account, intent)


async def _trade(
    intent: Intent,
    signal: Signal,
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
    existing: dict[str, Fill],
) -> TradeResult:
    account = await accounts.connect_account(deps, intent.user_id)
    symbol = broker_symbol(signal.symbol, await account.symbols(), settings.symbol_map)
    spec = await account.symbol_spec(symbol)
    quote = await account.quote(symbol)
    info = await account.account_info()
    skip = None
    if not existing:
        skip = guards.check_market(signal, quote, spec, settings) or await _account_guards(
            account, settings, now
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
    )
    if isinstance(plan, Skip):
        if existing:  # keep what is on the account; the rest of the plan no longer fits
            adopted = OrderPlan(intent_id=intent.id, orders=(), notes=(plan.detail,))
            return _outcome(intent, symbol, adopted, list(existing.values()), [])
        return skipped(intent, plan.reason, plan.detail, symbol)
    fills, errors = await send_orders(account, plan, existing)
    return _outcome(intent, symbol, plan, fills, errors)


async def _account_guards(
    account: BrokerAccount, settings: TradeSettings, now: datetime
) -> Skip | None:
    if settings.max_open_trades is not None:
        positions, orders = await account.positions(), await account.orders()
        live = [p.client_id for p in positions] + [o.client_id for o in orders]
        trades = ids.copier_intents(live)
        skip = guards.check_open_trades(len(trades), settings)
        if skip:
            return skip
    if settings.daily_loss_limit is not None:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        realised = sum((d.profit for d in await account.history(day_start)), Decimal(0))
        return guards.check_daily_loss(realised, settings.daily_loss_limit)
    return None


def _outcome(
    intent: Intent, symbol: str, plan: OrderPlan, fills: list[Fill], errors: list[BrokerRejected]
) -> TradeResult:
    # Some legs may be refused while others fill: the trade is placed, the refusals noted.
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
