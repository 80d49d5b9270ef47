"""Fencing: a worker checks it still holds its intent's claim before every broker write.

A worker slower than its lease (a stalled call, a paused process) may find its intent taken
over and done by another; without this check both would place the same leg or close the same
half. Two checks: no write starts later than `WRITE_BOUND` before the lease ends (by the
deps' clock, where one is given: a bounded write then lands before anyone may take over), and
the store must still name this worker as the claim's owner. The claim checked is the one
`run_once` holds for the running task.

What no fence can stop: a write the broker executes long after its call gave up (a request
stuck in the network past the lease); a retried opening then removes a duplicate leg it finds,
but a duplicated close cannot be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from signal_copier.core.errors import Retryable
from signal_copier.core.ports import Store
from signal_copier.core.reasons import Reason


class LeaseLost(Retryable):
    """Another worker took this intent over (our lease ended): stop, send nothing more."""

    reason = Reason.IN_FLIGHT


WRITE_BOUND = timedelta(seconds=20)  # the longest a broker write may take (adapters bound it)


@dataclass(frozen=True, slots=True)
class _Held:
    store: Store
    intent_id: str
    owner: str
    lease_ends: datetime
    clock: Callable[[], datetime] | None


_HELD: ContextVar[_Held | None] = ContextVar("signal_copier_claim", default=None)


def holding(
    store: Store,
    intent_id: str,
    owner: str,
    lease_ends: datetime,
    clock: Callable[[], datetime] | None,
) -> _Holding:
    """Mark the claim the running task holds (broker writes in it are fenced)."""
    return _Holding(_Held(store, intent_id, owner, lease_ends, clock))


class _Holding:
    """What `holding` returns: a class, as every intent enters one (a generator costs more)."""

    __slots__ = ("_held", "_token")

    def __init__(self, held: _Held) -> None:
        self._held = held

    def __enter__(self) -> None:
        self._token = _HELD.set(self._held)

    def __exit__(self, *_: object) -> None:
        _HELD.reset(self._token)


async def fence(*, store_checked: bool = False) -> None:
    """Raise LeaseLost unless the running task still holds its claim (no-op outside a claim).

    `store_checked`: the caller's `still_held()` just said yes, with nothing awaited since; the
    store is not asked again (the lease's clock still is).
    """
    held = _HELD.get()
    if held is None:
        return
    if held.clock is not None and held.clock() + WRITE_BOUND >= held.lease_ends:
        raise LeaseLost(f"intent {held.intent_id}: its lease ends before a write could land")
    if not store_checked and not await held.store.holds_claim(held.intent_id, held.owner):
        raise LeaseLost(f"intent {held.intent_id} was taken over: nothing more is sent")


async def still_held() -> bool:
    """Return whether the running task still holds its claim (True outside a claim)."""
    held = _HELD.get()
    return held is None or await held.store.holds_claim(held.intent_id, held.owner)
