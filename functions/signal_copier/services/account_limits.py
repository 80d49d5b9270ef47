"""An opening's account guards (daily loss limit, max open trades): their reads and verdict.

Their reads go out beside the instrument's (one round trip for both, not one after the other),
but they are judged where they always were: once the market checks have passed, in the same
order, so a read that failed only counts when it is judged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

from signal_copier.core import guards, ids
from signal_copier.core.guards import Skip
from signal_copier.core.market import Deal, PendingOrder, Position
from signal_copier.core.model import Intent
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.settings import TradeSettings
from signal_copier.services.deps import Deps

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reads:
    """What the guards read from the account (empty where a guard is not set)."""

    deals: list[Deal]
    positions: list[Position]
    orders: list[PendingOrder]
    mark: int | None = None  # the store's opening mark, read before positions and orders


def wanted(settings: TradeSettings) -> bool:
    """Return whether any account guard is set (else nothing is read for them)."""
    return settings.daily_loss_limit is not None or settings.max_open_trades is not None


async def beside(
    first: Awaitable[T],
    deps: Deps,
    account: BrokerAccount,
    intent: Intent,
    settings: TradeSettings,
    now: datetime,
) -> tuple[T, Reads | BaseException]:
    """Await `first` and the guards' reads at once; `first`'s error is raised, theirs kept."""
    reads = _read(deps, account, intent.user_id, settings, now)
    got, read = await asyncio.gather(first, reads, return_exceptions=True)
    if isinstance(got, BaseException):
        raise got
    return got, read


async def judge(
    deps: Deps,
    settings: TradeSettings,
    intent: Intent,
    now: datetime,
    reads: Reads | BaseException | None,
) -> Skip | None:
    """Return the guards' refusal, or None (a failed read is raised now); None if unset."""
    if reads is None:
        return None
    if isinstance(reads, BaseException):
        raise reads
    if settings.daily_loss_limit is not None:
        realised = sum((d.profit for d in reads.deals), Decimal(0))
        skip = guards.check_daily_loss(realised, settings.daily_loss_limit)
        if skip:
            return skip
    if settings.max_open_trades is None:
        return None
    held = [p.client_id for p in reads.positions] + [o.client_id for o in reads.orders]
    live = ids.copier_intents(held)
    limit, hold = settings.max_open_trades, deps.timing.opening_hold
    # The slot is reserved in the store, so concurrent openings can never pass the limit; the
    # slots of openings settled before the account was read count only through that read.
    taken = await deps.store.reserve_opening(
        intent.user_id, intent.id, limit, live, now, hold, seen=reads.mark
    )
    return None if taken else guards.check_open_trades(limit, settings)


async def _read(
    deps: Deps, account: BrokerAccount, user_id: str, settings: TradeSettings, now: datetime
) -> Reads:
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    (deals, (mark, positions, orders)) = await asyncio.gather(
        _nothing() if settings.daily_loss_limit is None else account.history(day_start),
        _nothing_held() if settings.max_open_trades is None else _held(deps, account, user_id),
    )
    return Reads(deals=deals, positions=positions, orders=orders, mark=mark)


async def _held(
    deps: Deps, account: BrokerAccount, user_id: str
) -> tuple[int, list[Position], list[PendingOrder]]:
    # The mark first: every opening settled by then has its orders on the account, so the
    # positions and orders read after it show them (if still open).
    mark = await deps.store.opening_mark(user_id)
    positions, orders = await asyncio.gather(account.positions(), account.orders())
    return mark, positions, orders


async def _nothing_held() -> tuple[None, list[Position], list[PendingOrder]]:
    return None, [], []


async def _nothing() -> list[Any]:
    return []
