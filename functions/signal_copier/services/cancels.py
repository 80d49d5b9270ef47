"""A follow-up's cancel of pending orders, and a close-all's sweep of entries that filled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from signal_copier.core.checked import Checked, with_refusals
from signal_copier.core.deletion import (
    is_withdrawal,
    kept_by_cancel,
    outcome,
    plan_deletion,
    withdrawal,
)
from signal_copier.core.followups import Operation, Target
from signal_copier.core.levels import Policy
from signal_copier.core.market import Position
from signal_copier.core.model import ChangeKind, Intent, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.settings import OnSignalDeleted, TradeSettings
from signal_copier.services.follow_up_plan import Held
from signal_copier.services.levels import check_levels
from signal_copier.services.operations import combined, legs_of, run_operations


async def cancel(
    intent: Intent, account: BrokerAccount, held: Held, settings: TradeSettings
) -> TradeResult:
    """Take back a signal's unfilled orders for a follow-up "cancel" (or its post edited so)."""
    # A cancel takes back the signal's unfilled orders. The signal's own post edited into one
    # is the signal withdrawn: its filled positions go as a deletion's would (on_signal_deleted).
    withdrawn = is_withdrawal(intent)
    action = withdrawal(settings.on_signal_deleted) if withdrawn else OnSignalDeleted.CANCEL_PENDING
    ops = plan_deletion(action, held.positions, held.orders)
    policy = Policy(allow_looser_sl=settings.allow_looser_sl)
    checked = await check_levels(account, ops, held.positions, held.orders, held.specs, policy)
    result = await run_operations(account, checked.operations, intent)
    if action is OnSignalDeleted.CLOSE:
        result = await close_filled(account, intent, held.targets, held.positions, checked, result)
    result = with_refusals(result, checked)
    kept = len(held.positions) if action is OnSignalDeleted.CANCEL_PENDING else 0
    if withdrawn:
        cancelled = sum(1 for c in result.changes if c.kind is ChangeKind.CANCEL)
        closed = sum(1 for c in result.changes if c.kind is ChangeKind.CLOSE)
        setting = settings.on_signal_deleted
        said = outcome(action, cancelled, closed, kept, how="cancelled", setting=setting)
    elif kept:
        said = kept_by_cancel(kept)
    else:
        return result
    return replace(result, detail=f"{said}; refused: {result.detail}" if result.detail else said)


async def close_filled(
    account: BrokerAccount,
    intent: Intent,
    targets: Sequence[Target],
    known: Sequence[Position],
    checked: Checked,
    result: TradeResult,
) -> TradeResult:
    """Close what filled from the orders a close of everything could not cancel in time."""
    # An entry that filled before it could be cancelled is a position the plan never saw: a
    # close of everything closes it too.
    cancelled = {c.target for c in result.changes if c.kind is ChangeKind.CANCEL}
    sent = [op for op in checked.operations if op.kind is ChangeKind.CANCEL]
    if all(op.target in cancelled for op in sent):
        return result
    seen = {position.id for position in known}
    filled = [p for p in (await legs_of(account, targets))[0] if p.id not in seen]
    ops = [Operation(kind=ChangeKind.CLOSE, target=position.id) for position in filled]
    return combined(result, await run_operations(account, ops, intent)) if ops else result
