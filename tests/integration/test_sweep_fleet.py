"""The sweep's `fleet_scaled` step sizes the listener fleet for the linked Telegram sessions.

On the local adapters (SQLite as the fleet's store, LocalScaler), through the Cloud Run adapter
against the fake WorkerPools client, as bootstrap wires it, and on the Firestore emulator.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from google.api_core import exceptions as google_errors

from builders import NOW as T0
from fakes.cloudrun import POOL, FakeWorkerPools
from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.config import Settings
from signal_copier.core.fleet import LinkState, SessionLink
from signal_copier.core.leases import ScalePolicy
from signal_copier.core.ports import FleetScaler
from signal_copier.deferred import PoolOnFirstUse
from signal_copier.fleet.cloudrun import CloudRunScaler
from signal_copier.fleet.local import LocalScaler
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import Deps, FleetScaling
from signal_copier.services.sweep import STEPS, run_sweep
from signal_copier.stack.emulators import Emulators
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.local import LocalVault

POLICY = ScalePolicy(capacity=1000, headroom=0.25)


async def _linked(store: SqliteStore, sessions: int) -> None:
    for n in range(sessions):
        await store.link_session(SessionLink(user_id=f"tg{n}", shard=n % 7))


def _deps(tmp_path: Path, store: SqliteStore, scaler: FleetScaler) -> Deps:
    return Deps(
        store=store,
        queue=InProcessQueue(),
        vault=LocalVault(tmp_path / "vault.key", tmp_path / "secrets"),
        broker=PaperBroker(now=T0),
        fleet=FleetScaling(store=store, scaler=scaler, policy=POLICY),
    )


async def _scaled(deps: Deps) -> int:
    report = await run_sweep(deps, T0, [s for s in STEPS if s.name == "fleet_scaled"])
    assert report.ok, report.failed
    return report.counts["fleet_scaled"]


def test_the_sweep_runs_the_fleet_step_every_minute() -> None:
    assert "fleet_scaled" in {step.name for step in STEPS}


async def test_more_sessions_than_the_listeners_hold_add_listeners(tmp_path: Path) -> None:
    store, scaler = SqliteStore(":memory:"), LocalScaler(instances=2)
    await _linked(store, 2_300)

    assert await _scaled(_deps(tmp_path, store, scaler)) == 1

    assert scaler.history == [3]  # ceil(2300 × 1.25 / 1000)


async def test_fewer_sessions_shrink_the_fleet_only_past_double_headroom(tmp_path: Path) -> None:
    store, scaler = SqliteStore(":memory:"), LocalScaler(instances=4)
    await _linked(store, 1_500)
    deps = _deps(tmp_path, store, scaler)

    first, again = await _scaled(deps), await _scaled(deps)

    assert (first, again) == (1, 0)
    assert scaler.history == [3]  # 2 would fit with 25 % headroom; 3 keeps 50 %: no flapping


async def test_a_fleet_within_its_bounds_is_left_alone(tmp_path: Path) -> None:
    store, scaler = SqliteStore(":memory:"), LocalScaler(instances=3)
    await _linked(store, 2_300)

    assert await _scaled(_deps(tmp_path, store, scaler)) == 0

    assert scaler.history == []


async def test_broken_links_are_not_load(tmp_path: Path) -> None:
    store, scaler = SqliteStore(":memory:"), LocalScaler(instances=1)
    await _linked(store, 900)
    for n in range(900, 2_000):  # linked once, then revoked: the fleet never runs them
        await store.link_session(SessionLink(user_id=f"tg{n}", shard=0, state=LinkState.BROKEN))

    assert await _scaled(_deps(tmp_path, store, scaler)) == 1

    assert scaler.history == [2]  # ceil(900 × 1.25 / 1000)


async def test_the_worker_pool_is_resized_through_cloud_run(tmp_path: Path) -> None:
    store, pools = SqliteStore(":memory:"), FakeWorkerPools(count=1)
    await _linked(store, 2_300)

    assert await _scaled(_deps(tmp_path, store, CloudRunScaler(pools, POOL))) == 1

    assert pools.pool.scaling.manual_instance_count == 3
    assert pools.masks == [["scaling.manual_instance_count"]]


async def test_a_refused_resize_fails_the_step_and_the_other_steps_still_run(
    tmp_path: Path,
) -> None:
    store = SqliteStore(":memory:")
    await _linked(store, 2_300)
    pools = FakeWorkerPools(count=1, fail=google_errors.PermissionDenied("no"))

    report = await run_sweep(_deps(tmp_path, store, CloudRunScaler(pools, POOL)), T0)

    assert report.failed == {"fleet_scaled": "rejected"}
    assert set(report.counts) == {s.name for s in STEPS} - {"fleet_scaled"}


async def test_without_a_fleet_the_step_does_nothing(tmp_path: Path) -> None:
    store = SqliteStore(":memory:")
    deps = _deps(tmp_path, store, LocalScaler())
    bare = Deps(store=deps.store, queue=deps.queue, vault=deps.vault, broker=deps.broker)

    assert await _scaled(bare) == 0


async def test_local_mode_sizes_its_fleet_with_the_local_scaler(tmp_path: Path) -> None:
    settings = Settings.from_env({"COPIER_DATA_DIR": str(tmp_path), "COPIER_FLEET_CAPACITY": "10"})
    runtime = bootstrap.build(settings)
    fleet = runtime.deps.fleet
    assert fleet is not None and isinstance(fleet.scaler, LocalScaler)
    assert fleet.store is runtime.deps.store and fleet.policy.capacity == 10
    assert isinstance(runtime.deps.store, SqliteStore)
    await _linked(runtime.deps.store, 25)

    assert await _scaled(runtime.deps) == 1

    assert fleet.scaler.history == [4]  # ceil(25 × 1.25 / 10)
    await runtime.aclose()


def test_cloud_mode_makes_its_cloud_run_client_only_when_the_sweep_scales(tmp_path: Path) -> None:
    # Every function builds the runtime; only the sweep scales: the others never import the
    # Cloud Run SDK (a cold-start cost) nor open a channel for it.
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from pathlib import Path
        from signal_copier import bootstrap
        from signal_copier.config import Settings
        settings = Settings(mode="cloud", scaler="cloudrun", fleet_pool={POOL!r},
                            data_dir=Path({str(tmp_path)!r}))
        runtime = bootstrap.build(settings)
        print(type(runtime.deps.fleet.scaler).__name__, "google.cloud.run_v2" in sys.modules)
        asyncio.run(runtime.aclose())
        """
    )

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert done.stdout.split() == [PoolOnFirstUse.__name__, "False"]


@pytest.mark.usefixtures("firestore_emulator")
async def test_on_firestore_the_fleet_store_shares_the_stores_client(
    emulators: Emulators, tmp_path: Path
) -> None:
    environ = {
        "COPIER_MODE": "emulators",
        "COPIER_PUSH_AUTH": "off",
        "COPIER_DATA_DIR": str(tmp_path),
        "GOOGLE_CLOUD_PROJECT": emulators.project,
        "COPIER_FLEET_CAPACITY": "2",
    }
    runtime = bootstrap.build(Settings.from_env(environ))
    fleet = runtime.deps.fleet
    assert fleet is not None and isinstance(fleet.scaler, LocalScaler)
    for n in range(5):
        await fleet.store.link_session(SessionLink(user_id=f"tg{n}", shard=n % 3))

    assert await _scaled(runtime.deps) == 1

    assert fleet.scaler.history == [4]  # ceil(5 × 1.25 / 2), counted on the emulator
    await runtime.aclose()
