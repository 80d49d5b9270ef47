"""The sweep (Cloud Scheduler, every minute): a list of independent steps, run in order.

Each step is idempotent (whatever it acts on goes through `run_once`), so an overlapping or
repeated sweep changes nothing twice. A step that fails is reported and the next one still runs.
Steps are added to `STEPS`; each returns counts of what it looked at and did.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

from signal_copier.core.errors import CopierError, InvalidSettings
from signal_copier.services.deps import Deps
from signal_copier.services.management import expire_pending

PAGE = 200
_log = logging.getLogger(__name__)

Counts = dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One named step of the sweep."""

    name: str
    run: Callable[[Deps, datetime], Awaitable[Counts]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepReport:
    """What each step did, and which steps failed (with the reason)."""

    counts: dict[str, Counts] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True if every step ran to the end."""
        return not self.failed


@runtime_checkable
class ManagedUsers(Protocol):
    """A store that lists the users whose copied trades may still need managing."""

    async def managed_users(self, *, after: str = "", limit: int = PAGE) -> list[str]:
        """Return up to `limit` such user ids after `after`, in id order."""
        ...


async def run_sweep(deps: Deps, now: datetime, steps: Sequence[Step] | None = None) -> SweepReport:
    """Run every step once; a failing step is logged and reported, the others still run."""
    report = SweepReport()
    for step in STEPS if steps is None else steps:
        try:
            report.counts[step.name] = await step.run(deps, now)
        except Exception as e:  # isolate steps: one broken step must not stop the others
            _log.exception("sweep step %s failed", step.name)
            report.failed[step.name] = e.reason if isinstance(e, CopierError) else type(e).__name__
    return report


async def expire_pending_entries(deps: Deps, now: datetime) -> Counts:
    """Cancel pending entries past each user's expiry, for every user with copied trades."""
    if not isinstance(deps.store, ManagedUsers):
        raise InvalidSettings("the store cannot list managed users (ManagedUsers)")
    counts = {"users": 0, "cancelled": 0, "failed_users": 0}
    after = ""
    while True:
        page = await deps.store.managed_users(after=after, limit=PAGE)
        for user_id in page:
            counts["users"] += 1
            try:
                counts["cancelled"] += len(await expire_pending(deps, user_id, now))
            except CopierError as e:  # one user's broker being down must not stall the rest
                counts["failed_users"] += 1
                _log.warning("sweep: expiring %s's entries failed: %s", user_id, e.reason)
        if len(page) < PAGE:
            return counts
        after = page[-1]


STEPS: tuple[Step, ...] = (Step(name="expire_pending", run=expire_pending_entries),)
