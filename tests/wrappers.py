"""Port wrappers for concurrency and crash tests: yield at every call, or fail chosen calls."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import Any

from signal_copier.core.errors import StoreUnavailable


class Yielding:
    """Wrap a port object so every async call yields to other tasks before and after it.

    Without this, "concurrent" tests never interleave: an in-memory adapter's calls do not
    suspend. Objects an async call returns (a broker's account) are wrapped too.
    """

    def __init__(self, inner: Any, delay: float = 0.0) -> None:
        self._inner, self._delay = inner, delay

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(real):
            return real

        async def call(*args: Any, **kwargs: Any) -> Any:
            await asyncio.sleep(self._delay)
            result = await real(*args, **kwargs)
            await asyncio.sleep(self._delay)
            if name == "connect":
                return Yielding(result, self._delay)
            return result

        return call


class FailingStore:
    """Wrap a store so chosen calls raise StoreUnavailable, before or after they take effect.

    `fail(method, times=1, after=True)`: "after" means the transaction committed and only the
    caller saw an error, like a lost reply.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._plans: dict[str, list[bool]] = {}

    def fail(self, method: str, *, times: int = 1, after: bool = True) -> None:
        """Make the next `times` calls of `method` fail."""
        self._plans.setdefault(method, []).extend([after] * times)

    def __getattr__(self, name: str) -> Any:
        real: Callable[..., Any] = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(real):
            return real

        async def call(*args: Any, **kwargs: Any) -> Any:
            plan = self._plans.get(name)
            if not plan:
                return await real(*args, **kwargs)
            after = plan.pop(0)
            if after:
                await real(*args, **kwargs)
            raise StoreUnavailable(f"{name} failed (injected, {'after' if after else 'before'})")

        return call
