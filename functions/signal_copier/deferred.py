"""Adapters reached or made on first use, so building a runtime opens nothing it may not use.

A runtime is built for every function of a process, and for tests outside any loop; clients
bind to the loop that first uses them and need credentials when they are made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from signal_copier.fleet.cloudrun import CloudRunScaler


class StoreClient:
    """The Firestore store's AsyncClient, reached on each use.

    The store makes its client on first use inside the serving loop; adapters built beside it
    (the fleet's and the dashboard's stores) share that one client and never make one outside
    the loop, nor need credentials before they are used.
    """

    def __init__(self, store: Any) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store.db, name)


class PoolOnFirstUse:
    """The Cloud Run scaler, made on first use: only the sweep scales, so no other function
    imports the Cloud Run SDK (≈0.4 s of a cold start) or opens a channel for it."""

    def __init__(self, pool: str) -> None:
        self._pool = pool
        self._scaler: CloudRunScaler | None = None

    def _real(self) -> CloudRunScaler:
        if self._scaler is None:
            from signal_copier.fleet.cloudrun import CloudRunScaler

            self._scaler = CloudRunScaler.for_pool(self._pool)
        return self._scaler

    async def instances(self) -> int:
        """Return the worker pool's instance count."""
        return await self._real().instances()

    async def set_instances(self, count: int) -> None:
        """Set the worker pool's instance count."""
        await self._real().set_instances(count)

    async def aclose(self) -> None:
        """Close the scaler's client, if one was made."""
        scaler, self._scaler = self._scaler, None
        if scaler is not None:
            await scaler.aclose()
