"""The broker side of follow-ups, edits and management: the trades they act on, and sending.

A follow-up, an edit and position management all end in operations on the positions and orders
one signal opened (found by its clientId); each is sent under the intent's claim (fenced), and a
refused one is noted while the rest still go.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

from signal_copier.core import ids
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.followups import Held, Operation, Target, of_trades
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import Change, ChangeKind, Intent, IntentKind, Status, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.services.fencing import fence

Live = tuple[list[Position], list[PendingOrder]]  # (positions, pending orders) of an account


async def run_operations(
    account: BrokerAccount, ops: Sequence[Operation], intent: Intent
) -> TradeResult:
    """Send each operation; a refused one is noted and the rest still go."""
    changes: list[Change] = []
    errors: list[str] = []
    for op in ops:
        await fence()  # a worker whose intent was taken over must not close a second time
        try:
            await _send(account, op, ids.close_tag(intent.client_id))
        except BrokerRejected as e:
            errors.append(f"{op.kind} #{op.target}: {e}")
            continue
        price = (
            op.sl if op.kind is ChangeKind.SL else op.tp if op.kind is ChangeKind.TP else op.price
        )
        changes.append(Change(kind=op.kind, target=op.target, volume=op.volume, price=price))
    if not ops:
        status, reason = Status.SKIPPED, Reason.NOTHING_TO_CHANGE
    else:
        status, reason = (
            (Status.APPLIED, Reason.NONE) if changes else (Status.REJECTED, Reason.BROKER_REJECTED)
        )
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=status,
        reason=reason,
        detail="; ".join(errors),
        changes=tuple(changes),
    )


def combined(first: TradeResult, then: TradeResult) -> TradeResult:
    """Return one intent's result from two rounds of operations sent one after the other."""
    if not first.changes and not first.detail:
        return then
    changes = (*first.changes, *then.changes)
    if changes:
        status, reason = Status.APPLIED, Reason.NONE
    else:
        status, reason = first.status, first.reason
    detail = "; ".join(d for d in (first.detail, then.detail) if d)
    return replace(first, status=status, reason=reason, detail=detail, changes=changes)


async def _send(account: BrokerAccount, op: Operation, close_tag: str) -> None:
    if op.kind is ChangeKind.CLOSE:
        await account.close_position(op.target, client_id=close_tag)
    elif op.kind is ChangeKind.PARTIAL_CLOSE:
        await account.close_position(op.target, op.volume, client_id=close_tag)
    elif op.kind is ChangeKind.CANCEL:
        await account.cancel_order(op.target)
    elif op.kind is ChangeKind.ORDER and op.price is not None:
        await account.modify_order(op.target, price=op.price, sl=op.sl, tp=op.tp)
    else:
        await account.modify_position(op.target, sl=op.sl, tp=op.tp)


def owned_by(targets: Sequence[Target], items: Sequence[Held]) -> list[Held]:
    """Return the items (positions, or orders) that the targeted signals opened, in order."""
    return of_trades(items, [t.client_id for t in targets])


async def live_on(account: BrokerAccount) -> Live:
    """Return every position and every pending order on the account."""
    return await account.positions(), await account.orders()


async def legs_of(
    account: BrokerAccount, targets: Sequence[Target], live: Live | None = None
) -> Live:
    """Return the positions and orders the targeted signals opened, each in account order.

    Picked from `live` when the caller read the whole account; else read for them alone.
    """
    if live is not None:
        return owned_by(targets, live[0]), owned_by(targets, live[1])
    return await account.legs_of([t.client_id for t in targets])


async def specs_for(
    account: BrokerAccount, items: Sequence[Position | PendingOrder]
) -> dict[str, SymbolSpec]:
    """Return the symbol specs of the given positions and orders."""
    symbols = {item.symbol for item in items}
    return {symbol: await account.symbol_spec(symbol) for symbol in sorted(symbols)}


def is_open_trade(record: TradeRecord) -> bool:
    """Return whether a record is a signal that reached the broker (an opening or a fix)."""
    opening_kinds = (IntentKind.OPEN, IntentKind.EDIT)  # an edit opens a corrected signal
    return record.intent.kind in opening_kinds and bool(record.result.fills)


def target_of(record: TradeRecord) -> Target:
    """Return the trade as follow-ups see it: its clientId and the signal as last edited."""
    signal = record.signal
    assert signal is not None  # is_open_trade records carry their signal
    legs = {f.position_id or f.order_id: f.client_id for f in record.result.fills}
    fills = record.result.fills
    opened = sum((f.volume for f in fills if not f.pending), Decimal(0))
    pending = {f.client_id: f.volume for f in fills if f.pending}
    client_id = record.intent.client_id
    return Target(client_id=client_id, signal=signal, legs=legs, opened=opened, pending=pending)
