"""Broker events in the cloud: the sweep polls the deals of accounts holding managed trades.

TP and SL hits happen on the broker with nobody to tell us; each sweep reads the deals since
the account's cursor (from a margin before it: the broker's clock may lag, and every event is
acted on once by its id whatever how often it is read) and hands them to position management.
An account with no copier trade left is no longer polled, unless a trade opened meanwhile.
"""

from __future__ import annotations

import logging
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import Rejected, Retryable
from signal_copier.core.market import broker_events
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.services.management import handle_broker_event

log = logging.getLogger(__name__)


async def poll_deals(deps: Deps, now: datetime) -> int:
    """Act on the new deals of every watched account (a sweep step); return events seen."""
    seen, after = 0, None
    while True:
        page = await deps.store.watched(deps.timing.sweep_batch, after)
        for user_id, since in page:
            try:
                seen += await _poll(deps, user_id, since, now)
            except (Retryable, Rejected) as e:  # one account must not stop the others; its
                # cursor stays, so the same deals are read again next sweep
                log.warning("polling deals of %s failed: %s", user_id, e.reason)
        if len(page) < deps.timing.sweep_batch:
            return seen
        after = page[-1][0]


async def _poll(deps: Deps, user_id: str, since: datetime, now: datetime) -> int:
    try:
        account = await accounts.connect_account(deps, user_id)
    except Rejected:
        await deps.store.unwatch(user_id, now)  # no credentials any more: nothing to manage
        return 0
    deals = await account.history(since - deps.timing.deal_margin)
    positions, orders = await account.positions(), await account.orders()
    events = broker_events(
        user_id,  # events are routed to this user, whatever the account's id
        deals,
        open_positions={p.id for p in positions},
        owners={p.id: p.client_id for p in positions},
    )
    failed: Retryable | Rejected | None = None
    for event in events:
        try:
            await handle_broker_event(event, user_id, deps, now)
        except (Retryable, Rejected) as e:  # one trade's event (its opening not recorded yet,
            failed = failed or e  # say) must not hold up the others': they are acted on now
    if failed is not None:
        raise failed  # the cursor stays: the failed ones are read again (the rest are done)
    live = [p.client_id for p in positions] + [o.client_id for o in orders]
    if not ids.copier_intents(live):
        await deps.store.unwatch(user_id, now)
    elif deals:
        await deps.store.advance_watch(user_id, max(d.time for d in deals))
    return len(events)
