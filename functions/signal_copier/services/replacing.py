"""Pending orders an edit would make riskier: a smaller copy is placed, then the order cancelled."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import Change, ChangeKind, Fill, Intent, OrderPlan, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.trims import Replacement
from signal_copier.services.placing import fill_of, placed_before, send_orders, undo_fills


async def place_copies(
    account: BrokerAccount, intent: Intent, replacements: Sequence[Replacement]
) -> tuple[list[Fill], list[str]]:
    """Place each copy (adopting one an earlier attempt placed); return every copy this edit
    holds — those of earlier attempts too, so a retry still records them — and notes for the
    copies the broker refused.
    """
    existing = await placed_before(account, intent)
    plan = OrderPlan(intent_id=intent.id, orders=tuple(r.order for r in replacements))
    fills, errors = await send_orders(account, plan, existing)
    held = {fill.client_id: fill for fill in [*existing.values(), *fills]}
    refused = [r for r in replacements if r.order.client_id not in held]
    notes = [
        f"order {r.replaces} keeps its levels: its smaller copy was refused ({error})"
        for r, error in zip(refused, errors, strict=False)
    ]
    return list(held.values()), notes


def without_refused(
    ops: Sequence[Operation], replacements: Sequence[Replacement], copies: Sequence[Fill]
) -> list[Operation]:
    """Return `ops` without the cancel of an order whose copy was not placed (it stays as is)."""
    placed = {fill.client_id for fill in copies}
    kept = {r.replaces for r in replacements if r.order.client_id not in placed}
    return [op for op in ops if not (op.kind is ChangeKind.CANCEL and op.target in kept)]


async def settle_copies(
    account: BrokerAccount,
    intent: Intent,
    result: TradeResult,
    replacements: Sequence[Replacement],
    copies: Sequence[Fill],
) -> TradeResult:
    """Record the copies in `result`; withdraw a copy whose order filled before it was cancelled.

    The copy may have filled too by then: whatever it is now (an order or a position) goes.
    """
    cancelled = {c.target for c in result.changes if c.kind is ChangeKind.CANCEL}
    held = {fill.client_id for fill in copies}
    late = {
        r.order.client_id: r.replaces
        for r in replacements
        if r.order.client_id in held and r.replaces not in cancelled
    }
    undone: list[Change] = []
    if late:
        positions, orders = await account.legs_of([intent.client_id])
        live: list[Position | PendingOrder] = [*positions, *orders]
        undone = await undo_fills(
            account, [fill_of(item) for item in live if item.client_id in late]
        )
    notes = [
        f"order {order} filled before it could be replaced: its copy was withdrawn"
        for order in late.values()
    ]
    return replace(
        result,
        fills=tuple(fill for fill in copies if fill.client_id not in late),
        changes=(*result.changes, *undone),
        notes=(*result.notes, *notes),
    )
