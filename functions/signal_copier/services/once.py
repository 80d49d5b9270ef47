"""Exactly-once execution: claim an intent, do the work, then finish it — or park it.

- A claim is a transaction; a live claim elsewhere is BUSY (InFlight: redeliver later, not an
  attempt). Attempts are counted on the claim; past the limit the intent gives up and is
  recorded as failed with whatever of it is on the account, so nothing that gave up is silent.
- Work that must wait for another message's intents returns a `Wait`: the intent is parked
  (acknowledged, stored against that message) and re-published when that message's intents
  finish. Right after parking it checks again, so a wake-up in between is never lost.
- Finishing stores the result in the claim's transaction, then wakes whatever was parked on
  this intent's message for this user.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from signal_copier.core.errors import InFlight
from signal_copier.core.model import Intent, TradeResult
from signal_copier.core.records import ClaimState, ParkedIntent
from signal_copier.services import messages
from signal_copier.services.deps import Deps
from signal_copier.services.fencing import holding
from signal_copier.services.records import trade_record
from signal_copier.services.targets import Wait

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Recorded:
    """A result recorded under what the intent became (a re-entry: the opening it made)."""

    intent: Intent  # the same id as the intent run
    result: TradeResult
    # The signal message whose trades it joins (a re-entry: the signal it repeats), so that
    # whatever reaches that signal (a reply, its deletion, its edit into a cancel) reaches it.
    group: int | None = None


Work = Callable[[bool], Awaitable[TradeResult | Recorded | Wait | None]]
GiveUp = Callable[[int], Awaitable[TradeResult]]


async def run_once(
    intent: Intent, deps: Deps, now: datetime, work: Work, give_up: GiveUp | None = None
) -> TradeResult | None:
    """Run `work(retry)` for an intent at most once to completion; None if it did not finish.

    `work` may return None (nothing to record) or a Wait (park until another message is done).
    `give_up(attempt)` builds the failure record once the attempt limit is passed.
    """
    owner = f"{deps.worker}:{secrets.token_hex(6)}"  # 48 random bits, as uuid4().hex[:12]
    claim = await deps.store.claim(intent, owner, now, deps.lease)
    if claim.state is ClaimState.DONE:
        # Done already: maybe only the reply to its finish was lost, and with it the wake-up.
        await messages.wake(deps, intent.chat_id, intent.message_id, intent.user_id)
        return None
    if claim.state is ClaimState.BUSY:
        raise InFlight(f"intent {intent.id} is being executed elsewhere")
    started = time.perf_counter()
    try:
        with holding(deps.store, intent.id, owner, now + deps.lease, deps.clock):
            if claim.attempt > deps.timing.max_attempts and give_up is not None:
                outcome: TradeResult | Recorded | Wait | None = await give_up(claim.attempt)
            else:
                outcome = await work(claim.state is ClaimState.RETRY)
    except Exception:
        # Retryable or a bug: either way the attempt is over, so let the redelivery reconcile
        # at once instead of bouncing off our lease as "in flight" and hiding the real error.
        await deps.store.release_claim(intent.id, owner)
        raise
    if isinstance(outcome, Wait):
        await _park(intent, outcome, owner, deps)
        return None
    recorded, group = intent, None
    if isinstance(outcome, Recorded):  # never under another intent's id
        if outcome.intent.id == intent.id:
            recorded, group = outcome.intent, outcome.group
        outcome = outcome.result
    result = _timed(intent, outcome, now, started)
    record = trade_record(recorded, result, now, group=group) if result is not None else None
    if await deps.store.finish(intent.id, owner, now, record):
        await messages.wake(deps, intent.chat_id, intent.message_id, intent.user_id)
        _log(intent, result)
    return result


def deadline(intent: Intent, deps: Deps) -> datetime:
    """Return when a follow-up stops waiting for its target (its bound)."""
    return max(intent.message_date, intent.received) + deps.timing.followup_bound


async def _park(intent: Intent, wait: Wait, owner: str, deps: Deps) -> None:
    parked = ParkedIntent(intent=intent, awaiting=wait.awaiting, until=deadline(intent, deps))
    if not await deps.store.park(parked, owner):
        return  # our lease ended meanwhile: whoever holds the intent now runs it
    log.info(
        "intent %s waits for message %s",
        intent.id,
        wait.awaiting,
        extra={"trace_id": intent.trace_id},
    )
    if await wait.ready():  # it finished while we parked: don't wait for a wake-up that passed
        await messages.publish_intents(deps, [intent])


def _timed(
    intent: Intent, result: TradeResult | None, now: datetime, started: float
) -> TradeResult | None:
    if result is None:
        return None
    queued_ms = max((now - intent.received).total_seconds() * 1000, 0.0)
    return replace(result, latency_ms=queued_ms + (time.perf_counter() - started) * 1000)


def _log(intent: Intent, result: TradeResult | None) -> None:
    if result is None:
        return
    log.info(
        "intent %s (%s) for %s: %s %s",
        intent.id,
        intent.kind,
        intent.user_id,
        result.status,
        result.reason,
        extra={"trace_id": intent.trace_id},
    )
