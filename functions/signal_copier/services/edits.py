"""Edited signals: carry new levels to the trades they opened, or open a fixed signal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from signal_copier.core import ids
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import Operation, plan_edit, trade_levels
from signal_copier.core.history import EPOCH
from signal_copier.core.levels import Policy, with_refusals
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import Fill, Intent, IntentKind, Signal, Status, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.precedence import closed_by, keep_later_follow_ups
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import RiskMode, TradeSettings
from signal_copier.core.trims import Replacement, order_trims, risk_trims
from signal_copier.services import accounts, later, opening, replacing, targets
from signal_copier.services.deps import Deps
from signal_copier.services.levels import check_levels
from signal_copier.services.once import deadline
from signal_copier.services.operations import (
    Live,
    is_open_trade,
    legs_of,
    run_operations,
    specs_for,
    target_of,
)
from signal_copier.services.records import signal_ref, skipped
from signal_copier.services.targets import Wait


async def _later_follow_ups(
    deps: Deps, intent: Intent, records: list[TradeRecord]
) -> list[TradeRecord]:
    # Follow-ups posted after the edit was made that already acted for this user: they were
    # meant to win. Replies to the post are among its records; bare, symbol and "all" ones,
    # and replies to a follow-up, are found among the chat's messages posted since.
    made = EPOCH + timedelta(seconds=ids.version_second(intent.version))
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
    {Reason.SL_WRONG_SIDE, Reason.TPS_OUT_OF_ORDER, Reason.PRICE_DECIMAL_SLIP, Reason.NO_SL}
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
    filed = await deps.store.trades(intent.user_id, signal_ref(intent))
    records = [r for r in filed if r.intent.part == intent.part]
    opened = [r for r in records if is_open_trade(r)]
    changed = trade_levels(previous) != trade_levels(signal)
    if not opened:
        if changed and any(r.result.reason in FIXABLE for r in records):
            return await _open_fixed(intent, signal, deps, now, retry)
        return skipped(intent, Reason.NOT_EXECUTED, "the original signal was not traded")
    if (signal.symbol, signal.side) != (previous.symbol, previous.side):
        return skipped(
            intent,
            Reason.SIGNAL_CHANGED,
            f"the edit turned {previous.side} {previous.symbol} into {signal.side} "
            f"{signal.symbol}; open trades were left as they are — check them",
        )
    return await _carry(intent, (previous, signal), opened, filed, deps, now, changed=changed)


async def _carry(
    intent: Intent,
    versions: tuple[Signal, Signal],
    opened: list[TradeRecord],
    filed: list[TradeRecord],
    deps: Deps,
    now: datetime,
    *,
    changed: bool,
) -> TradeResult:
    previous, signal = versions
    context = await opening.user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    read = await _read(deps, intent, opened)
    if isinstance(read, TradeResult):
        return read
    account, (positions, orders), specs = read
    ops = [
        op
        for record in opened
        for op in plan_edit(
            record.signal or previous, signal, target_of(record), positions, orders, specs
        )
    ]
    # An edit that changes nothing on the broker has no follow-up to defer to.
    later_ones = await _later_follow_ups(deps, intent, filed) if ops else []
    ops = keep_later_follow_ups(ops, later_ones, [*positions, *orders])
    # The signal's own stop may still be corrected either way; one moved since is not loosened.
    policy = Policy(allow_looser_sl=context[1].allow_looser_sl, own_sl=previous.sl)
    checked = await check_levels(account, ops, positions, orders, specs, policy)
    planned, replacements, trimmed = _trimmed(
        checked.operations, intent, context[1], opened, previous, (positions, orders), specs
    )
    copies: list[Fill] = []
    if _may_replace(context[1], opened):  # copies from an earlier attempt are recorded too
        copies, refused = await replacing.place_copies(account, intent, replacements)
        planned, trimmed = (
            replacing.without_refused(planned, replacements, copies),
            trimmed + refused,
        )
    result = with_refusals(await run_operations(account, planned, intent), checked)
    if copies:
        result = await replacing.settle_copies(account, intent, result, replacements, copies)
        result = opening.with_expiry(result, context[1], now)  # a copy expires like an entry
    result = replace(result, notes=(*result.notes, *trimmed)) if trimmed else result
    if changed and result.status is not Status.REJECTED:
        for record in opened:  # follow-ups and management now follow the edited levels
            await deps.store.update_trade(
                intent.user_id, record.intent.id, lambda r: replace(r, current=signal)
            )
    return result


async def _read(
    deps: Deps, intent: Intent, opened: list[TradeRecord]
) -> tuple[BrokerAccount, Live, dict[str, SymbolSpec]] | TradeResult:
    # Only the edited signal's own positions and orders matter: the account may hold
    # thousands of others.
    try:
        account = await accounts.connect_account(deps, intent.user_id)
        positions, orders = await legs_of(account, [target_of(r) for r in opened])
        return account, (positions, orders), await specs_for(account, [*positions, *orders])
    except Rejected as e:
        return skipped(intent, e.reason, str(e))


def _may_replace(settings: TradeSettings, opened: list[TradeRecord]) -> bool:
    # Only a risk-sized trade's pending orders are ever replaced by an edit.
    pending = any(fill.pending for record in opened for fill in record.result.fills)
    return pending and settings.risk_mode is RiskMode.RISK_PERCENT


def _trimmed(
    ops: Sequence[Operation],
    intent: Intent,
    settings: TradeSettings,
    opened: list[TradeRecord],
    previous: Signal,
    live: tuple[Sequence[Position], Sequence[PendingOrder]],
    specs: Mapping[str, SymbolSpec],
) -> tuple[list[Operation], list[Replacement], list[str]]:
    # Sized by risk: a wider stop, less size (judged from each leg's opening volume, stop and
    # entry, so a retry after a trim trims nothing more).
    if settings.risk_mode is not RiskMode.RISK_PERCENT:
        return list(ops), [], []
    sized = {
        fill.client_id: (fill.volume, (record.signal or previous).sl, fill.price)
        for record in opened
        for fill in record.result.fills
    }
    planned, notes = risk_trims(ops, live[0], specs, sized)
    planned, replacements, more = order_trims(planned, live[1], specs, sized, intent.client_id)
    return planned, replacements, notes + more


async def _open_fixed(
    intent: Intent, signal: Signal, deps: Deps, now: datetime, retry: bool
) -> TradeResult | Wait:
    # A fix comes back after the post; the channel may have closed the signal meanwhile (and
    # that close, arriving first, found nothing to close): never open what it is out of.
    since = await later.posted_after(deps, intent.chat_id, intent.message_id)
    closer = closed_by(intent.message_id, signal, since)
    if closer is not None:
        detail = f"the channel closed this signal (message {closer}) before it was fixed"
        return skipped(intent, Reason.SIGNAL_CLOSED, detail)
    return await opening.open_signal(intent, signal, deps, now, retry=retry)
