"""Exactly-once execution: claim an intent, do the work, record the result, finish the claim."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from signal_copier.core.errors import InFlight
from signal_copier.core.model import Intent, TradeResult
from signal_copier.core.records import ClaimState
from signal_copier.services.deps import Deps
from signal_copier.services.records import trade_record

log = logging.getLogger(__name__)

Work = Callable[[bool], Awaitable[TradeResult | None]]


async def run_once(intent: Intent, deps: Deps, now: datetime, work: Work) -> TradeResult | None:
    """Run `work(retry)` for an intent at most once to completion; None if it already ran.

    `work` may return None when there was nothing to do and nothing worth recording.

    A Retryable error ends the attempt's lease at once so the redelivery reconciles (retry=True)
    against the broker before sending anything again.
    """
    owner = f"{deps.worker}:{uuid.uuid4().hex[:12]}"
    claim = await deps.store.claim(intent, owner, now, deps.lease)
    if claim.state is ClaimState.DONE:
        return None
    if claim.state is ClaimState.BUSY:
        raise InFlight(f"intent {intent.id} is being executed elsewhere")
    started = time.perf_counter()
    try:
        result = await work(claim.state is ClaimState.RETRY)
    except Exception:
        # Retryable or a bug: either way the attempt is over, so let the redelivery reconcile
        # at once instead of bouncing off our lease as "in flight" and hiding the real error.
        await deps.store.release_claim(intent.id, owner)
        raise
    if result is None:
        await deps.store.finish(intent.id, owner, now)
        return None
    queued_ms = max((now - intent.received).total_seconds() * 1000, 0.0)
    result = replace(result, latency_ms=queued_ms + (time.perf_counter() - started) * 1000)
    await deps.store.finish(intent.id, owner, now, trade_record(intent, result, now))
    log.info(
        "intent %s (%s) for %s: %s %s",
        intent.id,
        intent.kind,
        intent.user_id,
        result.status,
        result.reason,
        extra={"trace_id": intent.trace_id},
    )
    return result
