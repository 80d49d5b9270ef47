"""What an opening holds in the store while it places, and gives back when nothing was placed.

A trade of the daily quota, an open-trade slot (account_limits) and, on a netting account, the
broker symbol: the account books one position per symbol, so two openings on one symbol read
"nothing held" at once and both place, and the broker nets them into one position (twice the
volume, the last order's stop). The symbol is held per user (each account has one user) and
per intent, so a redelivered intent takes its own hold back; the hold ends after
`timing.opening_hold` (then the position is on the account, or was never placed), so a crash
never blocks the symbol for good.

Once the broker confirmed an opening's orders, what it holds settles (`settle`): an opening that
read the store's opening mark before the account counts it only through the account from then
on, so a trade closed at once frees its slot and its symbol at once.
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


def races_for_symbol(settings: TradeSettings, info: AccountInfo) -> bool:
    """Return whether openings on this account hold the symbol they place on."""
    # Where the account takes one position per order, or netting is refused, the plan decides
    # alone: there is nothing to race for.
    return info.margin_mode.netted and settings.netting is Netting.SINGLE


async def symbol_mark(
    deps: Deps, intent: Intent, settings: TradeSettings, info: AccountInfo
) -> int | None:
    """Return the opening mark to read before the symbol's positions and orders, if needed."""
    if not races_for_symbol(settings, info):
        return None
    return await deps.store.opening_mark(intent.user_id)


async def hold_symbol(
    deps: Deps,
    intent: Intent,
    settings: TradeSettings,
    info: AccountInfo,
    symbol: str,
    held: tuple[int, int | None],
    now: datetime,
) -> Skip | None:
    """Hold `symbol` for this opening on a netting account it may open on, or refuse it.

    `held`: the positions and orders the account holds on it, and the mark read before them.
    """
    on_symbol, seen = held
    # Where the account holds the symbol already the plan decides alone (it nets or refuses).
    if on_symbol or not races_for_symbol(settings, info):
        return None
    hold = deps.timing.opening_hold
    if await deps.store.reserve_symbol(intent.user_id, symbol, intent.id, now, hold, seen=seen):
        return None
    return Skip(
        reason=Reason.NETTING_ACCOUNT,
        detail=(
            f"another signal on {symbol} is being placed on this netting account: "
            "a new order would merge into its position"
        ),
    )


async def settle(deps: Deps, intent: Intent, settings: TradeSettings) -> None:
    """Count what a placed opening holds through the account's reads from now on."""
    # Until now its slot and symbol stood for a trade an account read might not show yet.
    if settings.max_open_trades is not None or settings.netting is Netting.SINGLE:
        await deps.store.settle_opening(intent.user_id, intent.id)


async def give_back(deps: Deps, intent: Intent) -> None:
    """Give back everything an opening holds (nothing of it was placed); idempotent."""
    await deps.store.release_quota(intent.user_id, period_key(intent.received), intent.id)
    await deps.store.release_opening(intent.user_id, intent.id)
    await deps.store.release_symbol(intent.user_id, intent.id)
