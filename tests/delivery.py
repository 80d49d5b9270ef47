"""Replaying a channel in order, or shuffled and duplicated, and comparing the accounts after.

Quote lines stay where they are; the messages between two quote changes are delivered in a
seeded random order, each 1-3 times, and the in-process queue delivers intents in random order,
each 1-3 times. Every delivery is handled at its own message's time, so the runs differ only in
order and count. The final state of every account (open positions, pending orders) and every
trade record's status and reason must equal the in-order, once-only run's.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.model import RawMessage
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts, demo
from signal_copier.services.deps import Deps
from signal_copier.services.local import LocalPipeline
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.replay import ReplayEvent, chats
from signal_copier.vault.local import LocalVault


@dataclass(frozen=True, slots=True, kw_only=True)
class FinalState:
    """What the accounts and records look like after a replay."""

    positions: dict[str, list[tuple[Any, ...]]]
    orders: dict[str, list[tuple[Any, ...]]]
    records: dict[str, dict[str, tuple[str, str]]]


async def replay(
    events: list[ReplayEvent],
    folder: Path,
    seed: int | None,
    *,
    users: tuple[demo.DemoUser, ...] = demo.DEMO_USERS,
) -> FinalState:
    """Run `users` over `events` (shuffled and duplicated when `seed` is given)."""
    start = events[0].at
    store = SqliteStore(":memory:")
    queue = InProcessQueue(seed=seed, max_duplicates=3 if seed is not None else 1)
    paper = PaperBroker(now=start)
    vault = LocalVault(folder / "vault.key", folder / "secrets")
    deps = Deps(store=store, queue=queue, vault=vault, broker=paper)
    await demo.onboard(deps, paper, users, chats(events))
    pipeline = LocalPipeline(deps, queue, paper, {}, start, clock_per_message=True)
    shuffle = random.Random(seed) if seed is not None else None
    try:
        for window, quotes in _windows(events):
            for message in _deliveries(window, shuffle):
                await pipeline.message(message, message.received)
            if quotes is not None:
                await pipeline.quotes(quotes.quotes, quotes.at)
                await pipeline.sweep()
        return await _final_state(deps, users)
    finally:
        store.close()


def _windows(
    events: list[ReplayEvent],
) -> list[tuple[list[RawMessage], ReplayEvent | None]]:
    windows: list[tuple[list[RawMessage], ReplayEvent | None]] = []
    current: list[RawMessage] = []
    for event in events:
        if event.quotes:
            windows.append((current, event))
            current = []
        if event.message is not None:
            current.append(event.message)
    windows.append((current, None))
    return windows


def _deliveries(window: list[RawMessage], shuffle: random.Random | None) -> list[RawMessage]:
    if shuffle is None:
        return list(window)
    copies = [m for m in window for _ in range(shuffle.randint(1, 3))]
    shuffle.shuffle(copies)
    return copies


async def _final_state(deps: Deps, users: tuple[demo.DemoUser, ...]) -> FinalState:
    positions, orders, records = {}, {}, {}
    for user in users:
        account = await accounts.connect_account(deps, user.user_id)
        positions[user.user_id] = sorted(
            (p.symbol, p.side, p.volume, p.sl, p.tp) for p in await account.positions()
        )
        orders[user.user_id] = sorted(
            (o.symbol, o.side, o.order_type, o.volume, o.price, o.sl, o.tp)
            for o in await account.orders()
        )
        records[user.user_id] = {
            r.intent.id: (r.result.status.value, r.result.reason.value)
            for r in await deps.store.trades(user.user_id)
        }
    return FinalState(positions=positions, orders=orders, records=records)
