"""Port wrappers for race and crash scenarios: act, or fail, at one chosen call of a port.

`Hooked(port).before(method, act, nth=1)` runs `act()` just before the n-th call of `method`
(what a concurrent worker, a user pressing a button, or a price tick does at that moment);
`.fail(method, nth=1, after=False)` makes the n-th call raise (after it took effect when
`after`); `.die(method, nth=1)` cancels the caller there, as a killed worker stops (no
`except Exception` runs, so a claim stays held until its lease ends). Broker accounts that
`connect` returns are hooked by the same plan.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from signal_copier.core.errors import StoreUnavailable

Act = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class _Plan:
    calls: dict[str, int] = field(default_factory=dict)
    acts: dict[tuple[str, int], list[Act]] = field(default_factory=dict)
    failures: dict[tuple[str, int], tuple[str, bool, Exception | None]] = field(
        default_factory=dict
    )


class Hooked:
    """Wrap a port (store, broker or broker account) and act or fail at chosen calls."""

    def __init__(self, inner: Any, plan: _Plan | None = None) -> None:
        self._inner = inner
        self._plan = plan or _Plan()

    def before(self, method: str, act: Act, *, nth: int = 1) -> Hooked:
        """Run `act` just before the n-th call of `method`."""
        self._plan.acts.setdefault((method, nth), []).append(act)
        return self

    def fail(
        self, method: str, *, nth: int = 1, after: bool = False, error: Exception | None = None
    ) -> Hooked:
        """Make the n-th call of `method` raise (StoreUnavailable unless `error` is given)."""
        self._plan.failures[(method, nth)] = ("fail", after, error)
        return self

    def die(self, method: str, *, nth: int = 1, after: bool = False) -> Hooked:
        """Stop the caller at the n-th call of `method`, as a killed worker would."""
        self._plan.failures[(method, nth)] = ("die", after, None)
        return self

    def calls(self, method: str) -> int:
        """Return how many times `method` was called."""
        return self._plan.calls.get(method, 0)

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(real):
            return real
        plan = self._plan

        async def call(*args: Any, **kwargs: Any) -> Any:
            nth = plan.calls[name] = plan.calls.get(name, 0) + 1
            for act in plan.acts.pop((name, nth), []):
                await act()
            failure = plan.failures.pop((name, nth), None)
            if failure is None:
                result = await real(*args, **kwargs)
                return Hooked(result, plan) if name == "connect" else result
            how, after, error = failure
            if after:
                await real(*args, **kwargs)
            if how == "die":
                raise asyncio.CancelledError(f"worker killed at {name} #{nth}")
            raise error or StoreUnavailable(f"{name} #{nth} failed (injected)")

        return call
