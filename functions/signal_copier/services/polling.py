"""Broker events in the cloud: the deals of accounts holding managed trades, polled one by one.

TP and SL hits happen on the broker with nobody to tell us. Every minute the sweep pages through
the watched accounts and publishes one small poll per account to `broker-events`
(`request_polls`); `on_broker_event` takes each poll (`poll_account`), so the polling spreads
over as many function instances as Pub/Sub needs. A poll reads the deals since the account's
cursor (from a margin before it: the broker's clock may lag) and hands them to position
management, which acts on every event once by its id; the cursor only moves forward. So a
duplicate, late or concurrent poll of one account changes nothing twice. An account with no
copier trade left is no longer polled, unless a trade opened meanwhile (or may still be landing:
Timing.watch_settled).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import datetime, timedelta

from signal_copier.core import codec, ids
from signal_copier.core.errors import Rejected, Retryable
from signal_copier.core.market import AccountPoll, broker_events
from signal_copier.core.ports import Publication
from signal_copier.services import accounts
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, Deps
from signal_copier.services.management import handle_broker_event

log = logging.getLogger(__name__)
KIND_ATTRIBUTE = "kind"  # on broker-events: absent for a broker event, POLL_KIND for a poll
POLL_KIND = "poll"


def poll_publication(user_id: str, since: datetime, now: datetime) -> Publication:
    """Return the poll of one account for the minute of `now` (equal for every copy)."""
    poll = AccountPoll(user_id=user_id, minute=now.replace(second=0, microsecond=0), since=since)
    return Publication(
        payload=codec.to_dict(poll), attributes={KIND_ATTRIBUTE: POLL_KIND, "user": user_id}
    )


async def request_polls(deps: Deps, now: datetime) -> int:
    """Publish a poll for every watched account, a page at a time (a sweep step); return how many.

    Only the store and the queue are touched, never a broker: the step takes seconds for
    10,000 accounts, and the polls run wherever Pub/Sub delivers them. Pages begin at a point
    that moves every minute and wrap round, so if the step ever runs out of its time budget
    (logged as an error), the accounts left to the next minute are not always the same ones.
    """
    start, budget = _rotation_start(now), _Budget(deps.timing.poll_budget)
    published = await _publish_pages(deps, now, budget, after=start, upto=None)
    if not budget.cut:
        published += await _publish_pages(deps, now, budget, after=None, upto=start)
    if budget.cut:
        log.error(
            "polls of %d watched accounts published before the %ds budget ran out; the rest"
            " are polled in a later minute",
            published,
            deps.timing.poll_budget.total_seconds(),
        )
    return published


class _Budget:
    def __init__(self, budget: timedelta) -> None:
        self.ends = time.monotonic() + budget.total_seconds()
        self.cut = False  # stopped with accounts left

    def over(self) -> bool:
        self.cut = self.cut or time.monotonic() >= self.ends
        return self.cut


def _rotation_start(now: datetime) -> str:
    # A user id that moves round the id space minute by minute (Knuth's multiplicative hash).
    minute = int(now.timestamp()) // 60
    return f"{ids.USER_ID_PREFIX}{minute * 2_654_435_761 % 10**10}"


async def _publish_pages(
    deps: Deps, now: datetime, budget: _Budget, *, after: str | None, upto: str | None
) -> int:
    # Watched accounts after `after` up to `upto` (inclusive), page by page; the next page is
    # read while this one is published.
    size, published = deps.timing.poll_page, 0
    reading: asyncio.Future[list[tuple[str, datetime]]] | None = asyncio.ensure_future(
        deps.store.watched(size, after)
    )
    try:
        while reading is not None:
            page, reading = await reading, None
            if len(page) == size and (upto is None or page[-1][0] < upto) and not budget.over():
                reading = asyncio.ensure_future(deps.store.watched(size, page[-1][0]))
            kept = page if upto is None else [(u, since) for u, since in page if u <= upto]
            batch = [poll_publication(user_id, since, now) for user_id, since in kept]
            await deps.queue.publish_many(BROKER_EVENTS_TOPIC, batch)
            published += len(batch)
    finally:
        if reading is not None:  # publishing failed: end the read nobody will take
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reading
    return published


def read_poll(payload: dict[str, object]) -> AccountPoll:
    """Decode a poll; raise InvalidInput naming the bad field."""
    poll = codec.from_dict(AccountPoll, payload)
    ids.check_id(poll.user_id, "AccountPoll.user_id")
    return poll


async def poll_account(poll: AccountPoll, deps: Deps, now: datetime) -> str:
    """Act on one account's new deals; return what was done.

    Raises what a broker or the store raises (Retryable: the poll is redelivered; Rejected: it is
    acknowledged and the next minute's poll tries again), after acting on every event it could:
    the cursor has not moved, so the failed ones are read again. Missing credentials stop the
    polling.
    """
    if now - poll.minute > deps.timing.poll_expiry:
        return "superseded"  # the sweep published newer polls of this account since
    user_id = poll.user_id
    try:
        account = await accounts.connect_account(deps, user_id)
    except Rejected:  # no credentials any more: nothing to manage
        return await _unwatch(deps, user_id, now)
    deals = await account.history(poll.since - deps.timing.deal_margin)
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
        return await _unwatch(deps, user_id, now)
    if deals:
        await deps.store.advance_watch(user_id, max(d.time for d in deals))
    return "polled"


async def _unwatch(deps: Deps, user_id: str, now: datetime) -> str:
    # Only a watch older than an opening can take to land its orders: a trade placed after
    # this poll read the account keeps it (Timing.watch_settled).
    if await deps.store.unwatch(user_id, now - deps.timing.watch_settled):
        return "unwatched"
    return "kept"
