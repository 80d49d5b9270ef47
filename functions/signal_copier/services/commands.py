"""Follow-ups and edits: act on the positions and orders a signal opened, once per user."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import reconcile
from signal_copier.core.checked import Checked, with_refusals
from signal_copier.core.deletion import (
    is_withdrawal,
)
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import signal_targets
from signal_copier.core.levels import Policy
from signal_copier.core.model import (
    Action,
    Command,
    Intent,
    TradeResult,
)
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.reconcile import with_found_done
from signal_copier.core.records import TradeRecord
from signal_copier.core.reports import REPORTED_WITH_CHANGE
from signal_copier.core.settings import TradeSettings
from signal_copier.services import accounts, follow_up_risk, late_opening, messages
from signal_copier.services.about import about_of, candidates, select_targets, trades_of
from signal_copier.services.cancels import cancel, close_filled
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.edit_risk import with_resent
from signal_copier.services.follow_up_plan import Held, Plan, planned
from signal_copier.services.levels import check_levels
from signal_copier.services.once import deadline
from signal_copier.services.operations import (
    combined,
    is_open_trade,
    legs_of,
    live_on,
    run_operations,
    specs_for,
)
from signal_copier.services.records import skipped
from signal_copier.services.retried import (
    CANCELLED_BEFORE,
    CLOSED_BEFORE,
    cancelled_before,
    closed_before,
    closed_since,
    own_closes,
)
from signal_copier.services.targets import Wait


async def apply_command(
    intent: Intent, command: Command, deps: Deps, now: datetime, retry: bool = False
) -> TradeResult | Wait | None:
    """Apply a follow-up to the trades it refers to (reply, symbol, or the whole channel).

    It acts only once every message posted before it has arrived and finished for this user
    (else it waits), and only on signals older than itself.
    """
    final = now >= deadline(intent, deps)
    about = await about_of(deps, intent, command, final=final)
    if isinstance(about, Wait):
        return about
    if isinstance(about, str):
        return skipped(intent, Reason.NO_POSITION, about)
    taken_back = await _deleted_first(deps, intent, retry=retry)
    if taken_back is not None:
        return taken_back
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    try:
        account = await accounts.connect_account(deps, intent.user_id)
        # A reply names its signal; a bare follow-up is about trades live on the account.
        named = about.signal is not None or about.reentry is not None
        live = None if named else await live_on(account)
        records = await candidates(deps, intent, about, live)
        targets = select_targets(records, intent, command, about)
        if not targets:
            late = await _late_opening(intent, command, records, context[1], deps, now)
            if late is not None:  # levels completing a signal refused for want of a stop
                return late
            own = await closed_since(account, intent, command, [], []) if retry else []
            if own:  # "close all": the attempt cut short closed everything it was about
                return closed_before(intent, own)
            known = records if live is not None else None  # the same read, made above
            return await _nothing_held(deps, intent, account, known)
        # A resize an earlier attempt left between its cancel and its new order ends first.
        opened = follow_up_risk.openings(records, targets)
        recovered = await follow_up_risk.recovered(deps, intent, account, opened, (context[1], now))
        # Only the targeted signals' own positions and orders matter from here on: the
        # account may hold thousands of others.
        positions, orders = await legs_of(account, targets, live)
        closes = await closed_since(account, intent, command, targets, positions) if retry else []
        if not (positions or orders or closes):  # stopped out, taken profit or closed by hand
            gone = skipped(intent, Reason.NO_POSITION, _GONE)
            found = await cancelled_before(deps, intent, account, opened) if retry else []
            return with_found_done(gone, found, CANCELLED_BEFORE)
        positions = reconcile.before_closes(positions, closes, targets)
        specs = await specs_for(account, [*positions, *orders])
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    held = Held(targets, positions, orders, specs, closes, records, retry)
    result = await _act(deps, intent, command, account, held, context[1])
    return with_resent(intent, result, recovered)


async def _late_opening(
    intent: Intent,
    command: Command,
    records: list[TradeRecord],
    settings: TradeSettings,
    deps: Deps,
    now: datetime,
) -> TradeResult | Wait | None:
    if not command.levels_only:
        return None
    return await late_opening.from_levels(intent, command, records, settings, deps, now)


async def _deleted_first(deps: Deps, intent: Intent, *, retry: bool) -> TradeResult | None:
    # A follow-up the channel deleted before it acted for this user never acts, as an opening
    # never opens then. (A signal's post edited into a cancel, then deleted, still acts: its
    # deletion follows the same setting.)
    if is_withdrawal(intent):
        return None
    if not await messages.deleted(deps, intent.chat_id, intent.message_id):
        return None
    detail = "the channel deleted this follow-up before it was acted on"
    if retry:
        detail += " (an earlier attempt that was cut short may have acted)"
    return skipped(intent, Reason.FOLLOW_UP_DELETED, detail)


_GONE = "the trade it is about is no longer open (its SL or TP was hit, or it was closed)"


async def _act(
    deps: Deps,
    intent: Intent,
    command: Command,
    account: BrokerAccount,
    held: Held,
    settings: TradeSettings,
) -> TradeResult:
    if command.action is Action.CANCEL:
        return await cancel(intent, account, held, settings)
    if command.report and held.orders:
        return await _after_report(deps, intent, command, account, held, settings)
    plan = await planned(deps, intent, command, account, held, settings)
    if isinstance(plan, TradeResult):
        return plan
    positions, orders, specs = held.positions, held.orders, held.specs
    tps = signal_targets(plan.targets, positions, orders)
    policy = Policy(allow_looser_sl=settings.allow_looser_sl, signal_tps=tps)
    checked = await check_levels(account, plan.ops, positions, orders, specs, policy)
    decided = (plan, checked, policy)
    result, notes = await _sent(deps, intent, command, account, held, settings, decided)
    if held.retry:  # what the attempt cut short did is this follow-up's too
        result = reconcile.with_levels_found_set(result, checked.already, held.records)
        if command.action is not Action.CLOSE:  # a risk cut's own closes (a close finds them)
            open_now = {p.id for p in positions}
            cut = await own_closes(account, intent, open_now, result.changes)
            result = with_found_done(result, cut, CLOSED_BEFORE)
    return _noted(result, notes)


async def _after_report(
    deps: Deps,
    intent: Intent,
    command: Command,
    account: BrokerAccount,
    held: Held,
    settings: TradeSettings,
) -> TradeResult:
    # "TP1 hit ✅ move SL to entry": the move is over, so the entries still waiting go (as the
    # report alone takes them back) and the change is for the positions that filled.
    cancelled = await cancel(intent, account, replace(held, positions=[]), settings)
    said = (
        f"{REPORTED_WITH_CHANGE}; {cancelled.detail}" if cancelled.detail else REPORTED_WITH_CHANGE
    )
    cancelled = replace(cancelled, detail=said)
    if not held.positions:
        return cancelled
    changed = await _act(deps, intent, command, account, replace(held, orders=[]), settings)
    return combined(cancelled, changed)


async def _sent(
    deps: Deps,
    intent: Intent,
    command: Command,
    account: BrokerAccount,
    held: Held,
    settings: TradeSettings,
    decided: tuple[Plan, Checked, Policy],
) -> tuple[TradeResult, tuple[str, ...]]:
    # Send the checked operations (a risk-sized trade's cuts first) and return what was done.
    plan, checked, policy = decided
    positions, orders, notes = held.positions, held.orders, plan.notes
    before = closed_before(intent, held.closes)
    if follow_up_risk.risk_sized(settings):  # a wider stop on a trade sized by it: less size
        sized = follow_up_risk.sized_for(settings, held.records, plan.targets, held.specs)
        closing = command.action is Action.CLOSE
        live = (positions, orders)
        if plan.held_stops and not closing:  # held back, but in the order posted it cut first
            # only a stop that would have been set (not refused: a typo, the wrong side)
            fit = await check_levels(
                account, plan.held_stops, positions, orders, held.specs, policy
            )
            cuts, cut_notes = follow_up_risk.held_cuts(fit.operations, sized, live)
            before = combined(before, await run_operations(account, cuts, intent))
            notes = (*notes, *cut_notes)
        kept = await follow_up_risk.kept(deps, intent, account, checked, (sized, live), closing)
        if isinstance(kept, TradeResult):
            return combined(before, kept), notes
        checked = kept
    result = combined(before, await run_operations(account, checked.operations, intent))
    if command.action is Action.CLOSE and (command.fraction is None or command.fraction >= 1):
        result = await close_filled(account, intent, plan.targets, positions, checked, result)
    return with_refusals(result, checked), notes


def _noted(result: TradeResult, notes: tuple[str, ...]) -> TradeResult:
    return replace(result, notes=(*result.notes, *notes)) if notes else result


async def _nothing_held(
    deps: Deps, intent: Intent, account: BrokerAccount, read: list[TradeRecord] | None
) -> TradeResult | None:
    # Someone who unfollowed the chat: record nothing (the message is not about their trades),
    # and once they hold none of the chat's trades, stop sending them its follow-ups. `read`:
    # the trades of the live positions and orders, when the caller has read them already.
    if await deps.store.subscription(intent.user_id, intent.chat_id) is not None:
        return skipped(intent, Reason.NO_POSITION, "no copied trade matches this follow-up")
    held = read if read is not None else await trades_of(deps, intent, await live_on(account))
    if not any(is_open_trade(r) and r.intent.chat_id == intent.chat_id for r in held):
        await deps.store.remove_holder(intent.chat_id, intent.user_id)
    return None
