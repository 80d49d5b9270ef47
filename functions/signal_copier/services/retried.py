"""What a retry finds that the attempt cut short did without recording it: closes, cancels.

A close leaves a deal tagged with the follow-up's close tag. A cancel leaves no deal, so the
pending orders of the targeted trades that are gone from the account, and never filled (no
opening deal under their clientId since they were placed), were most likely cancelled by
that attempt.
"""

from __future__ import annotations

from collections.abc import Sequence

from signal_copier.core import ids
from signal_copier.core.followups import Target
from signal_copier.core.market import Deal, DealReason, Position
from signal_copier.core.model import (
    Action,
    Change,
    ChangeKind,
    Command,
    Intent,
    Status,
    TradeResult,
)
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reconcile import closes_of, history_start
from signal_copier.core.records import TradeRecord
from signal_copier.services.deps import Deps

CANCELLED_BEFORE = (
    "gone unfilled when this retry ran (the attempt before it, cut short, had most likely "
    "cancelled it)"
)


async def cancelled_before(
    deps: Deps, intent: Intent, account: BrokerAccount, opened: Sequence[TradeRecord]
) -> list[Change]:
    """Return the pending orders of `opened` trades that are gone from the account unfilled.

    Not those whose cancel another record of the signal shows (an expiry, an earlier cancel).
    """
    pending = {f.order_id: f.client_id for r in opened for f in r.result.fills if f.pending}
    for ref in {r.signal_ref for r in opened} if pending else ():
        for record in await deps.store.trades(intent.user_id, ref):
            if record.intent.id != intent.id:
                for change in record.result.changes:
                    if change.kind is ChangeKind.CANCEL:
                        pending.pop(change.target, None)
    if not pending:
        return []
    live = {order.id for order in await account.orders()}
    gone = {order: client for order, client in pending.items() if order not in live}
    if not gone:
        return []
    placed = min(r.intent.received for r in opened)
    deals = await account.history(history_start(placed))
    filled = {deal.client_id for deal in deals if deal.reason is DealReason.OPEN}
    return [
        Change(kind=ChangeKind.CANCEL, target=order)
        for order, client in gone.items()
        if client not in filled
    ]


async def closed_since(
    account: BrokerAccount,
    intent: Intent,
    command: Command,
    targets: Sequence[Target],
    positions: Sequence[Position],
) -> list[Deal]:
    """Return a closing follow-up's own closes (and untagged ones on its trades) since it came."""
    if command.action is not Action.CLOSE:
        return []
    deals = await account.history(history_start(intent.received))
    return closes_of(deals, targets, positions, ids.close_tag(intent.client_id))


def closed_before(intent: Intent, closes: Sequence[Deal]) -> TradeResult:
    """Return the record of what an earlier attempt of a follow-up closed (its tagged deals).

    Never "nothing to change" after a close whose reply was lost.
    """
    tag = ids.close_tag(intent.client_id)
    changes = tuple(
        Change(kind=ChangeKind.PARTIAL_CLOSE, target=deal.position_id, volume=deal.volume)
        for deal in closes
        if deal.client_id == tag
    )
    status = Status.APPLIED if changes else Status.SKIPPED
    return TradeResult(intent_id=intent.id, user_id=intent.user_id, status=status, changes=changes)


CLOSED_BEFORE = "closed by the attempt before this retry, cut short (its own tagged deal)"


async def own_closes(
    account: BrokerAccount, intent: Intent, live: set[str], done: Sequence[Change]
) -> list[Change]:
    """Return the closes an earlier attempt of `intent` made (its tagged deals), not yet in `done`.

    A position still open (`live`, by id) was closed in part.
    """
    deals = await account.history(history_start(intent.received))
    tag, seen = ids.close_tag(intent.client_id), {change.target for change in done}
    return [
        Change(
            kind=ChangeKind.PARTIAL_CLOSE if deal.position_id in live else ChangeKind.CLOSE,
            target=deal.position_id,
            volume=deal.volume,
        )
        for deal in deals
        if deal.client_id == tag
        and deal.reason is DealReason.CLOSE
        and deal.position_id not in seen
    ]
