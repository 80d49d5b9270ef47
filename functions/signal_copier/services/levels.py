"""Check a follow-up's or an edit's new levels before they are sent (core.levels decides)."""

from __future__ import annotations

from collections.abc import Sequence

from signal_copier.core.checked import Checked
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import Operation
from signal_copier.core.levels import POSITION_LEVELS, Policy, check_operations
from signal_copier.core.market import PendingOrder, Position, Quote, SymbolSpec
from signal_copier.core.ports import BrokerAccount


async def check_levels(
    account: BrokerAccount,
    ops: Sequence[Operation],
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    specs: dict[str, SymbolSpec],
    policy: Policy,
) -> Checked:
    """Return the operations whose new SL/TP/entry passed the opening checks, and the refusals.

    One quote per symbol whose positions get a new level; a symbol without a quote (refused by
    the broker) has its sides judged by the broker alone.
    """
    targets = {op.target for op in ops if op.kind in POSITION_LEVELS}
    quotes: dict[str, Quote] = {}
    for symbol in sorted({p.symbol for p in positions if p.id in targets}):
        try:
            quotes[symbol] = await account.quote(symbol)
        except Rejected:
            continue
    return check_operations(ops, positions, orders, quotes, specs, policy)
