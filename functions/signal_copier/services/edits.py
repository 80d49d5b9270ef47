"""Edited signals: carry new levels to the trades they opened, or open a fixed signal."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.edit_plan import own_stops, plan_edit, trade_levels, turned
from signal_copier.core.errors import Rejected
from signal_copier.core.levels import Policy
from signal_copier.core.model import Intent, IntentKind, Signal, Status, TradeResult
from signal_copier.core.precedence import closed_by, keep_later_follow_ups
from signal_copier.core.reasons import Reason
from signal_copier.core.reconcile import with_levels_found_set
from signal_copier.core.records import TradeRecord
from signal_copier.services import accounts, flips, late_opening, later, opening, targets
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.edit_risk import Sized, recover, send, with_resent
from signal_copier.services.levels import check_levels
from signal_copier.services.once import deadline
from signal_copier.services.operations import (
    is_open_trade,
    legs_of,
    specs_for,
    target_of,
)
from signal_copier.services.records import of_post, signal_ref, skipped
from signal_copier.services.targets import Wait


async def _later_follow_ups(
    deps: Deps, intent: Intent, records: list[TradeRecord]
) -> list[TradeRecord]:
    # Follow-ups posted after the edit was made that already acted for this user: they were
    # meant to win. Replies to the post are among its records; bare, symbol and "all" ones,
    # and replies to a follow-up, are found among the chat's messages posted since.
    made = ids.version_made(intent.version)
    since = await later.posted_after(deps, intent.chat_id, intent.message_id, made)
    commands = {
        ids.client_id(ids.intent_id(m.chat_id, m.message_id, m.version, intent.user_id))
        for m in since
        if m.command is not None
    }
    found = await deps.store.trades_by_client(intent.user_id, sorted(commands)) if commands else []
    mine = {r.intent.id: r for r in [*records, *found]}
    return [
        r
        for r in mine.values()
        if r.intent.kind is IntentKind.COMMAND
        and r.result.status is Status.APPLIED
        and r.intent.message_date > made
    ]


# Refusals a channel fixes by editing the post (the parser's reading of the levels); market
# refusals (price beyond the SL, spread, size) are not: a later annotation must not open them.
FIXABLE = frozenset(
    {
        Reason.SL_WRONG_SIDE,
        Reason.TPS_OUT_OF_ORDER,
        Reason.PRICE_DECIMAL_SLIP,
        Reason.PRICE_TYPO,
        Reason.NO_SL,
    }
)


async def apply_edit(
    intent: Intent, previous: Signal, signal: Signal, deps: Deps, now: datetime, retry: bool
) -> TradeResult | Wait:
    """Carry an edited signal's new SL/TP/entry to the trades that same signal opened.

    It waits until the earlier versions of its message have finished for this user.
    """
    final = now >= deadline(intent, deps)
    if not await targets.settled(
        deps, intent, intent.message_id, below_version=intent.version, final=final
    ):
        return targets.wait_for(deps, intent, intent.message_id, below_version=intent.version)
    group = await deps.store.trades(intent.user_id, signal_ref(intent))
    filed = of_post(group, intent)
    records = [r for r in filed if r.intent.part == intent.part]
    opened = [r for r in records if is_open_trade(r)]
    # Each trade is judged against the signal it follows, never the version before this one:
    # levels are never carried across a change of side or symbol.
    gone = [r for r in opened if turned(r.signal or previous, signal)]
    if gone or turned(previous, signal):
        gone += flips.reentries_of(group, filed, previous, signal)
    if gone:
        return await flips.taken_back(intent, gone, signal, deps, retry=retry)
    if turned(previous, signal):
        if not opened and _refused_typo(intent, records):
            # "XAUUSD BUY … SL above, TP below" refused, then corrected to SELL: nothing of the
            # old side was ever placed, so the corrected signal is the channel's only word.
            return await _open_side_fix(intent, signal, deps, (now, retry))
        if not opened:
            return flips.not_traded(intent, previous, signal)
        previous = opened[0].signal or previous  # turned back to the side its trades are on
    changed = trade_levels(previous) != trade_levels(signal)
    if not opened:
        # Only a refusal of this same side and instrument is fixed by the edit.
        fixable = [r for r in records if r.result.reason in FIXABLE]
        if changed and any(not turned(r.intent.signal or signal, signal) for r in fixable):
            return await _open_fixed(intent, signal, records, deps, (now, retry))
        return skipped(intent, Reason.NOT_EXECUTED, "the original signal was not traded")
    when = (now, retry)
    return await _carry(intent, previous, signal, opened, filed, deps, changed=changed, when=when)


# Refusals of a post's own levels that only an edit can fix: no levels-only message completes
# (and so late-opens) the old side after them, so "nothing of it traded" stays true.
_EDIT_ONLY = frozenset({Reason.SL_WRONG_SIDE, Reason.TPS_OUT_OF_ORDER, Reason.PRICE_DECIMAL_SLIP})


def _refused_typo(intent: Intent, records: list[TradeRecord]) -> bool:
    # The post was refused for levels that did not fit its side or symbol, and no version of
    # it placed anything for this user.
    own = [r for r in records if r.intent.message_id == intent.message_id]
    fixable = any(r.result.reason in _EDIT_ONLY for r in own)
    return fixable and not any(r.result.fills for r in own)


async def _carry(
    intent: Intent,
    previous: Signal,
    signal: Signal,
    opened: list[TradeRecord],
    filed: list[TradeRecord],
    deps: Deps,
    *,
    changed: bool,
    when: tuple[datetime, bool],
) -> TradeResult:
    now, retry = when
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    try:
        account = await accounts.connect_account(deps, intent.user_id)
        # A resize an earlier attempt left between its cancel and its new order ends first.
        recovered = await recover(deps, intent, account, opened, (context[1], now))
        # Only the edited signal's own positions and orders matter: the account may hold
        # thousands of others.
        positions, orders = await legs_of(account, [target_of(r) for r in opened])
        specs = await specs_for(account, [*positions, *orders])
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    ops = [
        op
        for record in opened
        for op in plan_edit(
            _planned_from(record, previous, signal, retry),
            signal,
            target_of(record),
            positions,
            orders,
            specs,
        )
    ]
    # An edit that changes nothing on the broker has no follow-up to defer to.
    later_ones = await _later_follow_ups(deps, intent, filed) if ops else []
    ops = keep_later_follow_ups(ops, later_ones, [*positions, *orders])
    # The signal's own stop may still be corrected either way; one moved since is not loosened.
    tps = (*previous.tps, *signal.tps)
    policy = Policy(
        allow_looser_sl=context[1].allow_looser_sl,
        own_sl=previous.sl,
        own_sls=own_stops(previous, positions, orders, specs),
        signal_tps=dict.fromkeys([*(p.id for p in positions), *(o.id for o in orders)], tps),
    )
    checked = await check_levels(account, ops, positions, orders, specs, policy)
    sized = Sized(settings=context[1], opened=opened, previous=previous, specs=specs)
    result = await send(deps, intent, account, checked, sized, (positions, orders))
    result = with_resent(intent, result, recovered)
    if retry:  # levels the attempt cut short had set: recorded as this edit's
        result = with_levels_found_set(result, checked.already, filed)
    if changed and result.status is not Status.REJECTED:
        for record in opened:  # follow-ups and management now follow the edited levels
            await deps.store.update_trade(
                intent.user_id, record.intent.id, lambda r: replace(r, current=signal)
            )
    return result


async def _open_fixed(
    intent: Intent,
    signal: Signal,
    records: list[TradeRecord],
    deps: Deps,
    when: tuple[datetime, bool],
) -> TradeResult | Wait:
    closed = await _closed_since(intent, signal, deps)
    if closed is not None:
        return closed
    # A signal refused for want of a stop opens as its one late opening (its levels may come
    # in a levels-only message too: the two never open it twice).
    now, retry = when
    return await late_opening.from_edit(intent, signal, records, deps, now, retry)


def _planned_from(record: TradeRecord, previous: Signal, signal: Signal, retry: bool) -> Signal:
    # The levels a trade follows: as last edited. A retry that finds this edit's levels stored
    # on the trade already (its attempt was cut short after storing them) plans from the version
    # before it, so what that attempt set is found set and recorded.
    base = record.signal or previous
    return previous if retry and base == signal else base


async def _open_side_fix(
    intent: Intent, signal: Signal, deps: Deps, when: tuple[datetime, bool]
) -> TradeResult | Wait:
    closed = await _closed_since(intent, signal, deps)
    if closed is not None:
        return closed
    now, retry = when
    return await opening.open_signal(intent, signal, deps, now, retry=retry)


async def _closed_since(intent: Intent, signal: Signal, deps: Deps) -> TradeResult | None:
    # A fix comes back after the post; the channel may have closed the signal meanwhile (and
    # that close, arriving first, found nothing to close): never open what it is out of.
    since = await later.posted_after(deps, intent.chat_id, intent.message_id)
    closer = closed_by(intent.message_id, signal, since)
    if closer is None:
        return None
    detail = f"the channel closed this signal (message {closer}) before it was fixed"
    return skipped(intent, Reason.SIGNAL_CLOSED, detail)
