"""What an opening holds in the store while it places, and gives back when nothing was placed.

A trade of the daily quota, an open-trade slot (account_limits) and, on a netting account, the
broker symbol: the account books one position per symbol, so two openings on one symbol read
"nothing held" at once and both place, and the broker nets them into one position (twice the
volume, the last order's stop). The symbol is held per user (each account has one user) and
per intent, so a redelivered intent takes its own hold back; the hold ends after
`timing.opening_hold` (then the position is on the account, or was never placed), so a crash
never blocks the symbol for good.
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.core.guards import Skip
from signal_copier.core.market import AccountInfo
from signal_copier.core.model import Intent
from signal_copier.core.quotas import period_key
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import Netting, TradeSettings
from signal_copier.services.deps import Deps


async def hold_symbol(
    deps: Deps,
    intent: Intent,
    settings: TradeSettings,
    info: AccountInfo,
    symbol: str,
    held: int,
    now: datetime,
) -> Skip | None:
    """Hold `symbol` for this opening on a netting account it may open on, or refuse it."""
    # Where the account holds the symbol already (`held`), or takes one position per order, or
    # refuses netting, the plan decides alone: there is nothing to race for.
    if held or not info.margin_mode.netted or settings.netting is not Netting.SINGLE:
        return None
    hold = deps.timing.opening_hold
    if await deps.store.reserve_symbol(intent.user_id, symbol, intent.id, now, hold):
        return None
    return Skip(
        reason=Reason.NETTING_ACCOUNT,
        detail=(
            f"another signal on {symbol} is being placed on this netting account: "
            "a new order would merge into its position"
        ),
    )


async def give_back(deps: Deps, intent: Intent) -> None:
    """Give back everything an opening holds (nothing of it was placed); idempotent."""
    await deps.store.release_quota(intent.user_id, period_key(intent.received), intent.id)
    await deps.store.release_opening(intent.user_id, intent.id)
    await deps.store.release_symbol(intent.user_id, intent.id)
