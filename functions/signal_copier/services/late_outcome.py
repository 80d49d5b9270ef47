"""What a late opening's route records: the signal opened late, or why it was not."""

from __future__ import annotations

from dataclasses import replace

from signal_copier.core.model import Intent, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.services.records import skipped


def told(outer: Intent, signal_message: int, result: TradeResult, said: str) -> TradeResult:
    """Return the route's own record of what became of the late opening it ran.

    The legs are the late opening's (its own record holds them); the route's record says what
    they are and where they came from.
    """
    where = f"message {signal_message}"
    if result.status is Status.PLACED:
        return TradeResult(
            intent_id=outer.id,
            user_id=outer.user_id,
            status=Status.APPLIED,
            symbol=result.symbol,
            detail=f"{said} ({where}); its trade is recorded as the signal's late opening",
            notes=result.notes,
        )
    detail = f"the completed signal ({where}) was not opened: {result.detail or result.reason}"
    return replace(skipped(outer, result.reason, detail, result.symbol), status=result.status)


def decided(outer: Intent, record: TradeRecord | None) -> TradeResult:
    """Return the route's record when the late opening was decided before it came."""
    if record is None:  # done with nothing recorded: an opening always records
        detail = "the signal's late opening was already decided elsewhere"
        return skipped(outer, Reason.NO_POSITION, detail)
    # Never placed: a placed late opening is an open trade of the signal, which the levels
    # complete and an edit edits before ever coming here.
    result = record.result
    detail = f"the signal's late opening was already decided: {result.reason}"
    detail += f" ({result.detail})" if result.detail else ""
    return skipped(outer, result.reason, detail, result.symbol)
