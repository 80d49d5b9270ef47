"""The Cloud Run Admin API at the SDK's edge: the two WorkerPoolsAsyncClient methods the scaler
calls, with the SDK's own signatures (checked against it) and types."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from google.api_core import gapic_v1
from google.cloud import run_v2

POOL = "projects/demo/locations/europe-west1/workerPools/listeners"


class _Operation:
    def __init__(self, pool: run_v2.WorkerPool) -> None:
        self._pool = pool

    async def result(self) -> run_v2.WorkerPool:
        return self._pool


class FakeWorkerPools:
    """The two WorkerPoolsAsyncClient methods the adapter calls, with the SDK's signatures."""

    def __init__(self, count: int, fail: Exception | None = None) -> None:
        self.pool = run_v2.WorkerPool(
            name=POOL, scaling=run_v2.WorkerPoolScaling(manual_instance_count=count)
        )
        self.fail = fail
        self.masks: list[list[str]] = []

    async def get_worker_pool(
        self,
        request: Any = None,
        *,
        name: Any = None,
        retry: Any = gapic_v1.method.DEFAULT,
        timeout: Any = gapic_v1.method.DEFAULT,  # noqa: ASYNC109 (the SDK's signature)
        metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> run_v2.WorkerPool:
        assert name == POOL
        if self.fail is not None:
            raise self.fail
        return self.pool

    async def update_worker_pool(
        self,
        request: Any = None,
        *,
        worker_pool: Any = None,
        update_mask: Any = None,
        retry: Any = gapic_v1.method.DEFAULT,
        timeout: Any = gapic_v1.method.DEFAULT,  # noqa: ASYNC109 (the SDK's signature)
        metadata: Sequence[tuple[str, str | bytes]] = (),
    ) -> _Operation:
        if self.fail is not None:
            raise self.fail
        self.masks.append(list(update_mask.paths))
        self.pool.scaling.manual_instance_count = worker_pool.scaling.manual_instance_count
        return _Operation(self.pool)
