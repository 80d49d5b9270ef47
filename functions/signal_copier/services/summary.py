"""The run summary: what happened per user (a public contract, see the README)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from signal_copier.core import ids
from signal_copier.core.model import ChangeKind, IntentKind, Status
from signal_copier.core.records import TradeRecord

SKIP_STATUSES = (Status.SKIPPED, Status.REJECTED, Status.FAILED)
OPENING = (IntentKind.OPEN, IntentKind.EDIT)  # an edit may open a corrected signal


def user_summary(
    records: Sequence[TradeRecord], missed_for_quota: int, open_positions: int
) -> dict[str, Any]:
    """Return one user's counters from their trade records."""
    changes = Counter(c.kind for r in records for c in r.result.changes)
    skipped = Counter(
        r.result.reason or r.result.status.value
        for r in records
        if r.result.status in SKIP_STATUSES
    )
    placed = sum(len(r.result.fills) for r in records if r.intent.kind in OPENING)
    return {
        "orders_placed": placed,
        "positions_closed": changes[ChangeKind.CLOSE],
        "positions_closed_partially": changes[ChangeKind.PARTIAL_CLOSE],
        "sl_tp_changes": changes[ChangeKind.SL]
        + changes[ChangeKind.TP]
        + changes[ChangeKind.ORDER],
        "orders_cancelled": changes[ChangeKind.CANCEL],
        "skipped": dict(sorted(skipped.items())),
        "missed_for_quota": missed_for_quota,
        "open_positions": open_positions,
    }


def signals_traded(records: Iterable[TradeRecord]) -> int:
    """Return how many opening signals reached the broker for a user."""
    return sum(1 for r in records if r.intent.kind in OPENING and r.result.fills)


def signals_seen(records: Iterable[TradeRecord]) -> int:
    """Return how many opening signals were considered for a user."""
    # A late opening (a signal refused for want of a stop, opened by its levels) is the same
    # signal seen again, not another one.
    return sum(
        1
        for r in records
        if r.intent.kind is IntentKind.OPEN and r.intent.version != ids.LATE_OPENING_VERSION
    )


def latency(values: Sequence[float]) -> dict[str, float]:
    """Return p50 and p99 in milliseconds (0 when nothing was measured)."""
    if not values:
        return {"p50": 0.0, "p99": 0.0}
    if len(values) == 1:
        return {"p50": round(values[0], 3), "p99": round(values[0], 3)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p99": round(cuts[98], 3)}
