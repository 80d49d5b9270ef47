"""A levels-only message acts on a signal only in time and only with levels that fit its side."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from signal_copier.core import completion
from signal_copier.core.followups import Target, owned
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import Command, Intent, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.services.records import skipped


def fitting_targets(
    intent: Intent,
    command: Command,
    records: Sequence[TradeRecord],
    held: tuple[Sequence[Target], Sequence[Position], Sequence[PendingOrder]],
    settings: TradeSettings,
) -> tuple[list[Target], tuple[str, ...]] | TradeResult:
    """Return the targets a levels-only message completes and notes on the rest, or a skip.

    A target is completed when its signal was posted at most `split_window_s` before the
    message and the levels fit its side; a skip when no target is, with the first reason.
    """
    if settings.split_window_s == 0:
        return skipped(intent, Reason.LEVELS_ONLY_OFF, completion.off_detail())
    targets, positions, orders = held
    posted = {record.intent.client_id: record.intent.message_date for record in records}
    kept: list[Target] = []
    notes: list[str] = []
    first: Reason | None = None
    for target in targets:
        legs = owned(positions, target.client_id)
        waiting = owned(orders, target.client_id)
        prices = [p.open_price for p in legs] + [o.price for o in waiting]
        reason, detail = _verdict(intent, command, target, posted, prices, settings)
        if reason is None:
            kept.append(target)
            untraded = completion.untraded_targets(command, _client_ids(legs, waiting))
            notes += [untraded] if untraded else []
            continue
        first = first or reason
        notes.append(f"{target.signal.symbol}: {detail}")
    if not kept and first is not None:
        return skipped(intent, first, "; ".join(notes))
    return kept, tuple(notes)


def _verdict(
    intent: Intent,
    command: Command,
    target: Target,
    posted: dict[str, datetime],
    prices: list[Decimal],
    settings: TradeSettings,
) -> tuple[Reason | None, str]:
    date = posted[target.client_id]  # every target is one of the records'
    late = completion.late_detail(date, intent.message_date, settings.split_window_s)
    if late is not None:
        return Reason.LEVELS_TOO_LATE, late
    found = completion.misfit(command, target.signal, prices)
    if found is not None:
        return found.reason, found.detail
    return None, ""


def _client_ids(legs: Sequence[Position], waiting: Sequence[PendingOrder]) -> list[str]:
    return [p.client_id for p in legs] + [o.client_id for o in waiting]
