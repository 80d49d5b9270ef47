"""Crashes on the Firestore store: the claim, finish and reservation calls, and two workers at once.

test_crash12.py sweeps every store and broker call on SQLite. Production claims, finishes and
reserves on Firestore (transactions on the emulator here), so these crash points run there too:
at each call of that path in a scenario the worker dies, or the call fails, before or after it
took effect; after production's recovery the state must equal the clean run on SQLite.
Three scenarios by default; every scenario with COPIER_FIRESTORE_WORLDS=all.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from builders import GOLD_BUY
from crash_run import KINDS, Fault, difference, run
from crash_scenarios import SCENARIOS
from signal_copier.core import quotas
from signal_copier.core.reasons import Reason
from signal_copier.core.records import Plan
from signal_copier.stack.emulators import Emulators
from world import Stores, World, firestore_stores, sqlite_stores

PATH = frozenset(
    f"store.{name}"
    for name in (
        "claim",
        "finish",
        "release_claim",
        "reserve_quota",
        "release_quota",
        "reserve_opening",
        "settle_opening",
        "release_opening",
        "reserve_symbol",
        "release_symbol",
    )
)
SWEPT = (
    [s.name for s in SCENARIOS]
    if os.environ.get("COPIER_FIRESTORE_WORLDS") == "all"
    else ["close_half", "late_opening", "kill_switch"]
)
CHOOSES_STORES = True  # each test names its stores: conftest runs it once, not once per store
_DATABASES = itertools.count(1)
EURO = "EURUSD SELL NOW @ 1.0850\nSL 1.0880\nTP 1.0800"


@pytest.fixture
def fresh(emulators: Emulators) -> Callable[[], Stores]:
    """Return a maker of Firestore stores, each on its own empty database of the emulator."""

    def make() -> Stores:
        database = emulators.for_project(f"demo-crash{next(_DATABASES)}")
        database.wipe_firestore()
        return firestore_stores(database.project)

    return make


@pytest.mark.parametrize(
    "scenario", [s for s in SCENARIOS if s.name in SWEPT], ids=lambda s: s.name
)
async def test_a_crash_on_the_claim_finish_or_reservation_path_recovers_as_on_sqlite(
    tmp_path: Path, fresh: Callable[[], Stores], scenario: object
) -> None:
    # Arrange: the clean run on SQLite, and where the path's calls fall on Firestore
    _, want = await run(scenario, tmp_path / "sqlite", stores=sqlite_stores)  # type: ignore[arg-type]
    clean, state = await run(scenario, tmp_path / "clean", stores=fresh)  # type: ignore[arg-type]
    points = [n for n, call in enumerate(clean.tape.calls, 1) if call.split("#")[0] in PATH]

    # Act: each kind of failure at each call of the path, in turn
    found = []
    for n, position in enumerate(points):
        fault = Fault(position=position, kind=KINDS[n % len(KINDS)])
        faulty, after = await run(scenario, tmp_path / str(n), fault, stores=fresh)  # type: ignore[arg-type]
        assert faulty.tape.fired == clean.tape.calls[position - 1]
        if diff := difference(want, after):
            found.append((faulty.tape.fired, fault.kind, diff))

    # Assert
    assert len(points) >= 4
    assert difference(want, state) == ()
    assert found == []


async def test_two_workers_opening_for_one_free_user_at_once_take_one_trade(
    tmp_path: Path, fresh: Callable[[], Stores]
) -> None:
    # Arrange: nine of the free plan's ten trades taken today; two signals, two workers at once
    world = World(tmp_path, stores=fresh, concurrency=2)
    account = await world.add_user("alice", plan=Plan.FREE, lot="0.01")
    today = quotas.period_key(world.now)
    for n in range(quotas.trade_limit(Plan.FREE) - 1):  # type: ignore[operator]
        assert await world.store.reserve_quota("alice", today, f"earlier-{n}", 10)
    gold, euro = world.post(GOLD_BUY, id=1), world.post(EURO, id=2)

    # Act
    await asyncio.gather(
        world.pipeline.message(gold, world.now), world.pipeline.message(euro, world.now)
    )
    await world.queue.drain()

    # Assert
    records = await world.records("alice")
    opened = [r.intent.message_id for r in records if r.result.fills]
    refused = [r.intent.message_id for r in records if r.result.reason == Reason.QUOTA]
    assert sorted(opened + refused) == [1, 2] and len(records) == 2
    assert len({p.symbol for p in await account.positions()}) == 1
