"""scale_fleet sets the worker pool's instance count through the FleetScaler port: the Cloud Run
adapter against a fake at the SDK's edge (WorkerPoolsAsyncClient's own signatures and types)."""

from __future__ import annotations

import inspect

import pytest
from google.api_core import exceptions as google_errors
from google.cloud import run_v2

from fakes.cloudrun import POOL, FakeWorkerPools
from signal_copier.core.fleet import SessionLink
from signal_copier.core.leases import ScalePolicy
from signal_copier.fleet.cloudrun import CloudRunScaler, ScalerRefused, ScalerUnavailable
from signal_copier.fleet.local import LocalScaler
from signal_copier.services.fleet import scale_fleet
from signal_copier.store.sqlite import SqliteStore


@pytest.mark.parametrize("method", ["get_worker_pool", "update_worker_pool"])
def test_the_fake_has_the_sdk_signature(method: str) -> None:
    real = inspect.signature(getattr(run_v2.WorkerPoolsAsyncClient, method))
    fake = inspect.signature(getattr(FakeWorkerPools, method))
    assert list(fake.parameters) == list(real.parameters)
    assert [p.kind for p in fake.parameters.values()] == [p.kind for p in real.parameters.values()]


async def _store_with(sessions: int) -> SqliteStore:
    store = SqliteStore(":memory:")
    for n in range(sessions):
        await store.link_session(SessionLink(user_id=f"tg{n}", shard=n % 7))
    return store


async def test_more_sessions_than_the_pool_holds_scale_it_up() -> None:
    store, pools = await _store_with(2_300), FakeWorkerPools(count=2)
    policy = ScalePolicy(capacity=1000, headroom=0.25)

    changed = await scale_fleet(store, CloudRunScaler(pools, POOL), policy)

    assert changed == 3  # ceil(2300 * 1.25 / 1000)
    assert pools.pool.scaling.manual_instance_count == 3
    assert pools.masks == [["scaling.manual_instance_count"]]


async def test_a_fleet_near_its_size_is_left_alone() -> None:
    store, scaler = await _store_with(2_300), LocalScaler(instances=3)

    assert await scale_fleet(store, scaler, ScalePolicy(capacity=1000)) is None
    assert scaler.history == []


async def test_shrinking_waits_for_double_headroom() -> None:
    store, scaler = await _store_with(1_500), LocalScaler(instances=4)

    changed = await scale_fleet(store, scaler, ScalePolicy(capacity=1000, headroom=0.25))

    assert changed == 3  # 2 would fit with 25 % headroom, 3 keeps 50 %
    assert scaler.history == [3]


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (google_errors.ServiceUnavailable("down"), ScalerUnavailable),
        (google_errors.PermissionDenied("no"), ScalerRefused),
        (google_errors.NotFound("no pool"), ScalerRefused),
    ],
)
async def test_cloud_run_errors_say_what_to_do(error: Exception, expected: type) -> None:
    scaler = CloudRunScaler(FakeWorkerPools(count=1, fail=error), POOL)

    with pytest.raises(expected):
        await scaler.instances()
    with pytest.raises(expected):
        await scaler.set_instances(2)


def test_a_pool_name_that_is_not_a_resource_name_is_refused() -> None:
    with pytest.raises(Exception, match="workerPools"):
        CloudRunScaler(FakeWorkerPools(count=1), "listeners")
