"""Plan limits: trades per day and channels per user. Atomic bookkeeping lives in the store."""

from __future__ import annotations

from datetime import UTC, datetime

from signal_copier.core.records import Plan

TRADES_PER_DAY = {Plan.FREE: 10, Plan.PREMIUM: None}
CHANNELS = {Plan.FREE: 2, Plan.PREMIUM: None}


def period_key(now: datetime) -> str:
    """Return the daily quota bucket (UTC date) for `now`."""
    return now.astimezone(UTC).date().isoformat()


def trade_limit(plan: Plan) -> int | None:
    """Return how many trades a plan may open per day (None = unlimited)."""
    return TRADES_PER_DAY[plan]


def channel_limit(plan: Plan) -> int | None:
    """Return how many channels a plan may follow (None = unlimited)."""
    return CHANNELS[plan]
