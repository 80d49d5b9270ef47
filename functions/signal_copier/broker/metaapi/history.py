"""An account's deal history through MetaAPI: every page of a time range, each deal owned.

MetaAPI keeps a trade's clientId in the MT5 comment, and MT5 writes its own comment on the
deals of SL and TP hits ("[tp 2655.00]"): such a deal comes back without a clientId. It takes
the clientId of its position's opening deal — read from the same range, or, when the position
opened before the range began (a trade held for hours), from the position's own deals. Without
that, a TP hit on a trade older than the range would belong to nobody, and breakeven after TP1
would never happen.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from signal_copier.broker.metaapi import payloads
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.market import Deal, DealReason

MAX_HISTORY_PAGES = 50
Read = Callable[[Callable[[], Awaitable[Any]]], Awaitable[Any]]


async def deals_between(
    connection: Any, read: Read, since: datetime, end: datetime, page_size: int
) -> list[Deal]:
    """Return the trade deals in [since, end), oldest first, every one with its trade's clientId."""
    found: list[payloads.Payload] = []
    for page in range(MAX_HISTORY_PAGES):
        fetch = connection.get_deals_by_time_range
        items = _items(await read(partial(fetch, since, end, page * page_size, page_size)))
        found += items
        if len(items) < page_size:
            return await _owned(connection, read, payloads.deals(found))
    raise BrokerUnavailable(f"more than {MAX_HISTORY_PAGES * page_size} deals since {since}")


async def _owned(connection: Any, read: Read, deals: list[Deal]) -> list[Deal]:
    # Positions whose deals in the range lack their opening's clientId ask for their own deals.
    missing = sorted({d.position_id for d in deals if _orphan(d)})
    if not missing:
        return deals
    answers = await asyncio.gather(
        *(read(partial(connection.get_deals_by_position, position)) for position in missing)
    )
    owners = payloads.openers(d for answer in answers for d in payloads.deals(_items(answer)))
    return payloads.with_owners(deals, owners)


def _orphan(deal: Deal) -> bool:
    return deal.reason is not DealReason.OPEN and not deal.client_id and bool(deal.position_id)


def _items(answer: Any) -> list[payloads.Payload]:
    if answer.get("synchronizing"):
        raise BrokerUnavailable("MetaAPI is still synchronizing the history")
    return list(answer.get("deals") or [])
