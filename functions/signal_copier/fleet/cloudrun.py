"""The FleetScaler port on the Cloud Run Admin API: the listeners' worker pool instance count.

Worker pools have no autoscaler; `scale_fleet` (run by the sweep) sets
`scaling.manual_instance_count` here. Errors go through one table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from google.api_core import exceptions as google_errors
from google.cloud import run_v2
from google.protobuf import field_mask_pb2  # type: ignore[import-untyped]

from signal_copier.core.errors import CopierError, InvalidSettings, Rejected, Retryable

if TYPE_CHECKING:
    from signal_copier.core.ports import FleetScaler


class ScalerUnavailable(Retryable):
    """The Cloud Run Admin API could not be reached or is busy; the next sweep retries."""


class ScalerRefused(Rejected):
    """Cloud Run refused the change (permission, missing pool, invalid count)."""


_ERRORS: dict[type[Exception], type[CopierError]] = {
    google_errors.ServiceUnavailable: ScalerUnavailable,
    google_errors.DeadlineExceeded: ScalerUnavailable,
    google_errors.InternalServerError: ScalerUnavailable,
    google_errors.TooManyRequests: ScalerUnavailable,
    google_errors.Aborted: ScalerUnavailable,  # another update is in flight
    google_errors.FailedPrecondition: ScalerUnavailable,
    google_errors.NotFound: ScalerRefused,
    google_errors.PermissionDenied: ScalerRefused,
    google_errors.InvalidArgument: ScalerRefused,
}


class CloudRunScaler:
    """Read and set a worker pool's manual instance count."""

    def __init__(self, client: Any, pool: str) -> None:
        """Take a `run_v2.WorkerPoolsAsyncClient` and the pool's full resource name."""
        if not pool.startswith("projects/") or "/workerPools/" not in pool:
            raise InvalidSettings(
                "worker pool: expected projects/P/locations/L/workerPools/NAME, got " + repr(pool)
            )
        self._client, self._pool = client, pool

    @classmethod
    def for_pool(cls, pool: str) -> CloudRunScaler:
        """Return the scaler on a client of its own (close it with `aclose()`)."""
        return cls(run_v2.WorkerPoolsAsyncClient(), pool)

    async def aclose(self) -> None:
        """Close the client's channel."""
        await self._client.transport.close()

    async def instances(self) -> int:
        """Return the pool's manual instance count."""
        try:
            pool = await self._client.get_worker_pool(name=self._pool)
        except google_errors.GoogleAPICallError as e:
            raise _translated(e) from e
        return int(pool.scaling.manual_instance_count)

    async def set_instances(self, count: int) -> None:
        """Set the pool's manual instance count and wait for the update to finish."""
        if count < 0:
            raise ScalerRefused(f"instance count must be at least 0, got {count}")
        wanted = run_v2.WorkerPool(
            name=self._pool, scaling=run_v2.WorkerPoolScaling(manual_instance_count=count)
        )
        mask = field_mask_pb2.FieldMask(paths=["scaling.manual_instance_count"])
        try:
            operation = await self._client.update_worker_pool(worker_pool=wanted, update_mask=mask)
            await operation.result()
        except google_errors.GoogleAPICallError as e:
            raise _translated(e) from e


def _translated(error: google_errors.GoogleAPICallError) -> CopierError:
    for cls in type(error).__mro__:
        found = _ERRORS.get(cls)
        if found is not None:
            return found(f"cloud run: {type(error).__name__}: {error.message}")
    return ScalerUnavailable(f"cloud run: {type(error).__name__}: {error.message}")


if TYPE_CHECKING:
    _conforms: FleetScaler = CloudRunScaler(None, "projects/p/locations/l/workerPools/w")
