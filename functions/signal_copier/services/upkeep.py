"""What must happen without a message to trigger it: run by the sweep (every minute).

Each step's work is proportional to what is due (indexed by time), never to history.
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.services import messages
from signal_copier.services.deps import Deps
from signal_copier.services.management import expire_due


async def upkeep(deps: Deps, now: datetime) -> dict[str, int]:
    """Run every upkeep step once; return how much each did."""
    return {
        "edits_resumed": await messages.resume_expired(deps, now),
        "parked_rerun": await republish_due_parked(deps, now),
        "claims_republished": await republish_expired_claims(deps, now),
        "pending_expired": len(await expire_due(deps, now)),
    }


async def republish_due_parked(deps: Deps, now: datetime) -> int:
    """Re-run parked follow-ups whose bound passed: they act on what is known now."""
    parked = await deps.store.due_parked(now, deps.timing.sweep_batch)
    await messages.publish_intents(deps, parked)
    return len(parked)


async def republish_expired_claims(deps: Deps, now: datetime) -> int:
    """Re-publish intents whose claim lease expired without a result (their worker died).

    A redelivery may also be on its way: the claim lets only one of them run.
    """
    expired = await deps.store.expired_claims(now, deps.timing.sweep_batch)
    await messages.publish_intents(deps, expired)
    return len(expired)
