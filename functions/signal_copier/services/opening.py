"""Open a signal on one user's account: settings, guards, quota, plan, place, reconcile."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from signal_copier.core import guards, ids
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, Rejected
from signal_copier.core.followups import leg_of
from signal_copier.core.guards import Skip
from signal_copier.core.model import Fill, Intent, OrderPlan, Signal, Status, TradeResult
from signal_copier.core.planning import plan_orders
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.quotas import period_key, trade_limit
from signal_copier.core.records import UserRecord
from signal_copier.core.settings import TradeSettings, effective_settings
from signal_copier.core.symbol_map import broker_symbol
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.services.records import skipped


async def user_context(
    deps: Deps, intent: Intent
) -> tuple[UserRecord, TradeSettings] | TradeResult:
    """Load the user and their effective settings for this intent's channel, or a skip."""
    user = await deps.store.get_user(intent.user_id)
    if user is None:
        return skipped(intent, "unknown_user", "no such user")
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
    """Open one signal for one user, or record why not; quota is only spent on placed trades."""
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    user, settings = context
    skip = (
        guards.check_user(user.active, user.paused_reason, user.paused_until, now)
        or guards.check_age(intent.message_date, now, settings.max_signal_age_s)
        or guards.check_signal(signal, settings, now)
    )
    if skip:
        return skipped(intent, skip.reason, skip.detail)
    period = period_key(now)
    if not await deps.store.reserve_quota(user.user_id, period, intent.id, trade_limit(user.plan)):
        await deps.store.record_missed(user.user_id, period, intent.id)
        return skipped(intent, "quota", f"the {user.plan} plan's daily trades are used up")
    try:
        result = await _trade(intent, signal, settings, deps, now, retry=retry)
    except BrokerUnavailable:
        await accounts.note_broker_failure(deps, user, now)
        raise
    except Rejected as e:
        result = skipped(intent, e.reason, str(e))
    else:
        await accounts.note_broker_success(deps, user)
    if result.reason == "daily_loss_limit":
        await accounts.pause(deps, user, result.reason, accounts.next_midnight(now))
    if result.status is not Status.PLACED:
        await deps.store.release_quota(user.user_id, period, intent.id)
    return result


async def _trade(
    intent: Intent,
    signal: Signal,
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
    *,
    retry: bool,
) -> TradeResult:
    account = await accounts.connect_account(deps, intent.user_id)
    symbol = broker_symbol(signal.symbol, await account.symbols(), settings.symbol_map)
    spec = await account.symbol_spec(symbol)
    quote = await account.quote(symbol)
    info = await account.account_info()
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
        return skipped(intent, plan.reason, plan.detail, symbol)
    fills, errors = await send_orders(account, plan, since=intent.received if retry else None)
    return _outcome(intent, symbol, plan, fills, errors)


def _outcome(
    intent: Intent, symbol: str, plan: OrderPlan, fills: list[Fill], errors: list[BrokerRejected]
) -> TradeResult:
    # Some legs may be refused while others fill: the trade is placed, the refusals noted.
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.PLACED if fills else Status.REJECTED,
        symbol=symbol,
        reason="" if fills else (errors[0].reason if errors else "nothing_placed"),
        detail="; ".join(str(e) for e in errors),
        fills=tuple(fills),
        notes=plan.notes,
    )


async def _account_guards(
    account: BrokerAccount, settings: TradeSettings, now: datetime
) -> Skip | None:
    if settings.max_open_trades is not None:
        positions, orders = await account.positions(), await account.orders()
        trades = {
            c.rpartition(".")[0]
            for c in [p.client_id for p in positions] + [o.client_id for o in orders]
            if c.startswith(ids.CLIENT_ID_PREFIX)
        }
        skip = guards.check_open_trades(len(trades), settings)
        if skip:
            return skip
    if settings.daily_loss_limit is not None:
        day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
        realised = sum((d.profit for d in await account.history(day_start)), Decimal(0))
        return guards.check_daily_loss(realised, settings.daily_loss_limit)
    return None


async def send_orders(
    account: BrokerAccount, plan: OrderPlan, *, since: datetime | None
) -> tuple[list[Fill], list[BrokerRejected]]:
    """Place a plan's orders; on a retry, first adopt the legs an earlier attempt placed."""
    existing = await placed_before(account, since) if since is not None else {}
    fills: list[Fill] = []
    errors: list[BrokerRejected] = []
    for order in plan.orders:
        if order.client_id in existing:
            fills.append(existing[order.client_id])
            continue
        try:
            fills.append(await account.place(order))
        except BrokerRejected as e:
            errors.append(e)
    return fills, errors


async def placed_before(account: BrokerAccount, since: datetime) -> dict[str, Fill]:
    """Find orders an earlier attempt placed, by clientId: positions, pending orders, history."""
    found: dict[str, Fill] = {}
    for deal in await account.history(since):
        found.setdefault(
            deal.client_id,
            _fill(deal.client_id, deal.order_id, deal.position_id, deal.volume, deal.price),
        )
    for order in await account.orders():
        found[order.client_id] = _fill(order.client_id, order.id, None, order.volume, order.price)
    for position in await account.positions():
        found[position.client_id] = _fill(
            position.client_id, "", position.id, position.volume, position.open_price
        )
    return found


def _fill(
    client_id: str, order_id: str, position_id: str | None, volume: Decimal, price: Decimal
) -> Fill:
    return Fill(
        client_id=client_id,
        order_id=order_id,
        position_id=position_id,
        volume=volume,
        price=price,
        leg=leg_of(client_id),
        pending=position_id is None,
    )
