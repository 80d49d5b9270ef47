"""Simulated listener processes (they pause and crash), a slow store and a vault in memory."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from signal_copier.core.ports import FleetStore


class ProcessDead(BaseException):
    """The simulated process crashed: whatever it was doing ends (no cleanup runs)."""


class Process:
    """One incarnation of a listener process: it runs, pauses (frozen) or is dead."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.dead = False
        self.paused_since: float | None = None
        self._awake = asyncio.Event()
        self._awake.set()

    async def gate(self) -> None:
        """Return once the process runs; raise ProcessDead if it crashed meanwhile."""
        if self.dead:
            raise ProcessDead(self.name)
        if not self._awake.is_set():
            await self._awake.wait()
            if self.dead:
                raise ProcessDead(self.name)

    async def sleep(self, seconds: float) -> None:
        """Sleep; a frozen process wakes only when it is resumed."""
        await asyncio.sleep(seconds)
        await self.gate()

    def pause(self, now: float) -> None:
        """Freeze the process (its connections stay open, it does nothing)."""
        self.paused_since = now
        self._awake.clear()

    def resume(self) -> None:
        """Let the process run again."""
        self.paused_since = None
        self._awake.set()

    def crash(self) -> None:
        """Kill the process: every pending step raises ProcessDead."""
        self.dead = True
        self._awake.set()


@dataclass(frozen=True, slots=True, kw_only=True)
class Delays:
    """Store latency: most calls are quick; a few renewals hang for long (exercising fencing)."""

    low: float = 0.002
    high: float = 0.060
    slow_rate: float = 0.005
    slow: tuple[float, float] = (5.0, 40.0)


class DelayedStore:
    """A FleetStore seen from one process: every call takes simulated time, both ways."""

    def __init__(
        self, store: FleetStore, process: Process, delays: Delays, rng: random.Random
    ) -> None:
        self._store, self._process, self._delays, self._rng = store, process, delays, rng

    def __getattr__(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._store, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            delay = self._delay(name)
            await self._process.sleep(delay / 2)
            result = await method(*args, **kwargs)
            await self._process.sleep(delay / 2)
            return result

        return call

    def as_port(self) -> FleetStore:
        """Return this proxy typed as the port it stands for."""
        return cast(FleetStore, self)

    def _delay(self, name: str) -> float:
        d = self._delays
        if name == "renew" and self._rng.random() < d.slow_rate:
            return self._rng.uniform(*d.slow)
        return self._rng.uniform(d.low, d.high)


class MemoryVault:
    """Secrets in a dict (the simulated vault)."""

    def __init__(self) -> None:
        self._secrets: dict[str, bytes] = {}

    async def put(self, name: str, secret: bytes) -> None:
        """Store a secret."""
        self._secrets[name] = secret

    async def get(self, name: str) -> bytes | None:
        """Return a secret or None."""
        return self._secrets.get(name)

    async def delete(self, name: str) -> None:
        """Remove a secret."""
        self._secrets.pop(name, None)


if TYPE_CHECKING:
    from signal_copier.core.ports import Vault

    _vault: Vault = MemoryVault()
