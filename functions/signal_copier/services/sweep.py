"""The sweep (Cloud Scheduler, every minute): the upkeep steps, each run on its own.

Each step is idempotent (whatever it acts on goes through a claim), so an overlapping or
repeated sweep changes nothing twice, and each does work proportional to what is due, except
the last: it publishes one poll per watched account (services/polling.py) and leaves the
polling itself to on_broker_event. A step that fails is reported and the next one still runs.
A new step is one more `Step` in `STEPS`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from signal_copier.core.errors import CopierError
from signal_copier.core.model import IntentKind
from signal_copier.services import messages
from signal_copier.services.deps import Deps
from signal_copier.services.fleet_scale import scale_listeners
from signal_copier.services.polling import request_polls
from signal_copier.services.waiting import look_at_due

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One named step of the sweep; `run` returns how many things it acted on."""

    name: str
    run: Callable[[Deps, datetime], Awaitable[int]]


@dataclass(frozen=True, slots=True, kw_only=True)
class SweepReport:
    """How much each step did, and which steps failed (with the reason)."""

    counts: dict[str, int] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Return True if every step ran to the end."""
        return not self.failed


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


async def republish_due_parked(deps: Deps, now: datetime) -> int:
    """Re-run parked follow-ups whose bound passed: they act on what is known now."""
    parked = await deps.store.due_parked(now, deps.timing.sweep_batch)
    await messages.publish_intents(deps, parked)
    return len(parked)


async def republish_expired_claims(deps: Deps, now: datetime) -> int:
    """Re-publish intents whose claim lease expired without a result (their worker died).

    A redelivery may also be on its way: the claim lets only one of them run. Management
    intents are not re-published: their broker event is redelivered (or polled again) and their
    expiry stays due, and they never travel the intents topic. The store's query leaves them
    out, so a batch is never filled with claims dropped here (work stays what is due).
    """
    expired = await deps.store.expired_claims(now, deps.timing.sweep_batch)
    # The stores leave them out already; a management intent must never reach the topic.
    runnable = [intent for intent in expired if intent.kind is not IntentKind.MANAGE]
    await messages.publish_intents(deps, runnable)
    return len(runnable)


async def _expire_pending(deps: Deps, now: datetime) -> int:
    return len(await look_at_due(deps, now))


POLLS = Step(name="polls_published", run=request_polls)
STEPS: tuple[Step, ...] = (
    Step(name="edits_resumed", run=messages.resume_expired),
    Step(name="parked_rerun", run=republish_due_parked),
    Step(name="claims_republished", run=republish_expired_claims),
    Step(name="pending_expired", run=_expire_pending),
    Step(name="fleet_scaled", run=scale_listeners),
    # Last: the only step whose work grows with every watched account (one poll each), so it
    # can never hold up the others.
    POLLS,
)
# Where the broker pushes its fills and SL/TP hits itself (the paper broker), no polling.
PUSHED_EVENTS = tuple(step for step in STEPS if step is not POLLS)
