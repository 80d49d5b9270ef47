"""Deleted signals: take back, for one user, what the channel took back by deleting its post."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.deletion import outcome, plan_deletion
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import Operation, Target
from signal_copier.core.model import ChangeKind, Intent, Status, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.reconcile import with_found_done
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import OnSignalDeleted
from signal_copier.services import accounts, messages, targets
from signal_copier.services.about import About, candidates
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.once import deadline
from signal_copier.services.operations import (
    combined,
    is_open_trade,
    legs_of,
    run_operations,
    target_of,
)
from signal_copier.services.records import signal_ref, skipped
from signal_copier.services.retried import (
    CANCELLED_BEFORE,
    CLOSED_BEFORE,
    cancelled_before,
    own_closes,
)
from signal_copier.services.targets import Wait


async def apply_deletion(
    intent: Intent, deps: Deps, now: datetime, *, retry: bool = False
) -> TradeResult | Wait:
    """Cancel a deleted signal's unfilled orders for one user (and, by setting, close it).

    It waits until the message's earlier versions have finished for this user: an opening
    still in flight is then cancelled once it is placed, never missed.
    """
    message = intent.message_id
    if intent.version != ids.DELETED_VERSION or not await messages.deleted(
        deps, intent.chat_id, message
    ):
        # Only the channel's own deletion, stored, ever takes a signal back.
        return skipped(intent, Reason.INVALID_INTENT, "no deletion of this message is stored")
    final = now >= deadline(intent, deps)
    if not await targets.settled(deps, intent, message, below_version=intent.version, final=final):
        return targets.wait_for(deps, intent, message, below_version=intent.version)
    opened = [r for r in await _filed(deps, intent) if is_open_trade(r)]
    if not opened:
        return skipped(intent, Reason.NOT_EXECUTED, "the deleted signal was not traded for you")
    # A re-entry's deletion carries no signal: its settings are those of the trade it opened.
    context = await user_context(
        deps, intent if intent.signal else replace(intent, signal=opened[0].signal)
    )
    if isinstance(context, TradeResult):
        return context
    action = context[1].on_signal_deleted
    if action is OnSignalDeleted.IGNORE:
        detail = "the channel deleted this signal; its trades were left as they are"
        return skipped(intent, Reason.SIGNAL_DELETED, f"{detail} (on_signal_deleted: ignore)")
    try:
        result, held = await take_back(deps, intent, opened, action, retry=retry)
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    return _explained(result, action, kept=held, retried=retry)


async def take_back(
    deps: Deps,
    intent: Intent,
    opened: list[TradeRecord],
    action: OnSignalDeleted,
    *,
    retry: bool = False,
) -> tuple[TradeResult, int]:
    """Cancel the unfilled orders of `opened` trades (and close them when `action` says so).

    Returns the result and how many of their positions were open. Safe to repeat: what is
    gone from the account is not asked for again (a retry records what it finds cancelled).
    Rejected when the account cannot be reached.
    """
    account = await accounts.connect_account(deps, intent.user_id)
    held = [target_of(r) for r in opened]
    positions, orders = await legs_of(account, held)
    result = await run_operations(account, plan_deletion(action, positions, orders), intent)
    if retry:
        found = await cancelled_before(deps, intent, account, opened)
        result = with_found_done(result, found, CANCELLED_BEFORE)
        live = {p.id for p in positions}
        closed = await own_closes(account, intent, live, result.changes)
        result = with_found_done(result, closed, CLOSED_BEFORE)
    if action is OnSignalDeleted.CLOSE and result.detail:
        result = await _close_filled(account, intent, held, {p.id for p in positions}, result)
    return result, len(positions)


async def _filed(deps: Deps, intent: Intent) -> list[TradeRecord]:
    # A signal's trades, its re-entries' among them; a re-entry's own, found by its own ids
    # (it is filed with the signal it repeats).
    if intent.signal is not None:
        return await deps.store.trades(intent.user_id, signal_ref(intent))
    reentry = About(signal=None, anchor=intent.message_id, reentry=intent.message_id)
    return await candidates(deps, intent, reentry, None)


async def _close_filled(
    account: BrokerAccount, intent: Intent, held: list[Target], seen: set[str], result: TradeResult
) -> TradeResult:
    # An order refused while cancelling may have filled meanwhile: closing means it goes too.
    filled = [p for p in (await legs_of(account, held))[0] if p.id not in seen]
    ops = [Operation(kind=ChangeKind.CLOSE, target=position.id) for position in filled]
    return combined(result, await run_operations(account, ops, intent)) if ops else result


def _explained(
    result: TradeResult, action: OnSignalDeleted, *, kept: int, retried: bool
) -> TradeResult:
    cancelled = sum(1 for c in result.changes if c.kind is ChangeKind.CANCEL)
    closed = sum(1 for c in result.changes if c.kind is ChangeKind.CLOSE)
    kept = kept if action is OnSignalDeleted.CANCEL_PENDING else 0
    said = outcome(action, cancelled, closed, kept, retried=retried)
    if result.status is Status.REJECTED:
        return replace(result, detail=f"{said}; refused: {result.detail}")
    detail = f"{said}; refused: {result.detail}" if result.detail else said
    return replace(result, reason=Reason.SIGNAL_DELETED, detail=detail)
