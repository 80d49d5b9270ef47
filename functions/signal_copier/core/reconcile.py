"""What a retried follow-up already did: its own closes, found by position, not by time alone,
and the levels it finds already set.

The broker stamps deals with its own clock, which may run behind ours, so history is read from
a margin before the intent was received; the deals are then matched to the targeted signal's
positions (by clientId or by position id), never taken for ours because of their time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from signal_copier.core.followups import Operation, Target
from signal_copier.core.ids import is_close_tag
from signal_copier.core.market import Deal, DealReason, Position
from signal_copier.core.model import Change, ChangeKind, Side, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord

# How far a broker's clock may run behind ours. A close by hand or by an earlier follow-up on
# the same positions inside this margin is taken for the retry's own: the retry then closes
# less, never more.
HISTORY_MARGIN = timedelta(seconds=60)


def history_start(received: datetime) -> datetime:
    """Return when to start reading the account's history for what an intent already did."""
    return received - HISTORY_MARGIN


def closes_of(
    deals: Iterable[Deal],
    targets: Sequence[Target],
    positions: Iterable[Position],
    own_tag: str = "",
) -> list[Deal]:
    """Return this follow-up's closing deals (not SL/TP hits) on the positions the targets opened.

    A deal tagged with `own_tag` is this follow-up's; one tagged by another follow-up (an
    earlier "close half" a moment before) is not, whatever its time. An untagged deal (a broker
    that drops clientIds, a close by hand) on those positions inside the margin is taken for
    ours: the retry then closes less, never more.
    """
    prefixes = tuple(f"{target.client_id}." for target in targets)
    known = {p.id for p in positions if p.client_id.startswith(prefixes)}
    known |= {position_id for target in targets for position_id in target.legs}

    def ours(deal: Deal) -> bool:
        if own_tag and deal.client_id == own_tag:
            return True
        if is_close_tag(deal.client_id):
            return False  # another follow-up's close
        return deal.position_id in known or deal.client_id.startswith(prefixes)

    return [deal for deal in deals if deal.reason is DealReason.CLOSE and ours(deal)]


def before_closes(
    positions: Sequence[Position], closes: Sequence[Deal], targets: Sequence[Target]
) -> list[Position]:
    """Return the positions as they were before `closes`: volumes restored, closed ones back."""
    closed: dict[str, Decimal] = {}
    last: dict[str, Deal] = {}
    for deal in closes:
        closed[deal.position_id] = closed.get(deal.position_id, Decimal(0)) + deal.volume
        last[deal.position_id] = deal
    # Only the positions a close touched are rebuilt: the account may hold hundreds.
    restored = [
        replace(p, volume=p.volume + closed.pop(p.id)) if p.id in closed else p for p in positions
    ]
    legs = {pid: cid for target in targets for pid, cid in target.legs.items()}
    for position_id, volume in closed.items():
        deal = last[position_id]
        restored.append(
            Position(
                id=position_id,
                symbol=deal.symbol,
                side=Side.SELL if deal.side is Side.BUY else Side.BUY,  # an OUT deal trades back
                volume=volume,
                open_price=deal.price,
                client_id=legs.get(position_id, deal.client_id),
            )
        )
    return restored


ALREADY_SET = (
    "already so when this retry ran (the attempt before it, cut short, had most likely set it)"
)


def with_levels_found_set(
    result: TradeResult, already: Sequence[Operation], records: Sequence[TradeRecord] = ()
) -> TradeResult:
    """Return a retry's result with the levels it found already set recorded as its changes.

    The attempt cut short moved them and never recorded it: the record says so, and later
    instructions judged against this one (an older edit delivered after it) see what it set. A
    level another record explains (the stop a leg was placed with, a change another instruction
    made) was not this attempt's and is not claimed.
    """
    explained = _explained(records, result.intent_id)
    changes = [
        Change(kind=op.kind, target=op.target, price=_price(op))
        for op in already
        if (op.kind, op.target, _price(op)) not in explained
    ]
    return with_found_done(result, changes, ALREADY_SET)


def _explained(
    records: Sequence[TradeRecord], intent_id: str
) -> set[tuple[ChangeKind, str, Decimal | None]]:
    found: set[tuple[ChangeKind, str, Decimal | None]] = set()
    for record in records:
        if record.intent.id == intent_id:
            continue
        found.update((c.kind, c.target, c.price) for c in record.result.changes)
        found.update(
            (ChangeKind.SL, f.position_id or f.order_id, f.sl)
            for f in record.result.fills
            if f.sl is not None
        )
    return found


def with_found_done(result: TradeResult, changes: Sequence[Change], why: str) -> TradeResult:
    """Return a retry's result with `changes` it found done (by the attempt cut short), noted."""
    if not changes:
        return result
    notes = tuple(f"{change.kind} #{change.target}: {why}" for change in changes)
    nothing = result.status is Status.SKIPPED and result.reason in _NOTHING
    status, reason = (Status.APPLIED, Reason.NONE) if nothing else (result.status, result.reason)
    return replace(
        result,
        status=status,
        reason=reason,
        detail="" if nothing else result.detail,
        changes=(*result.changes, *changes),
        notes=(*result.notes, *notes),
    )


_NOTHING = (Reason.NOTHING_TO_CHANGE, Reason.NO_POSITION)


def _price(op: Operation) -> Decimal | None:
    if op.kind is ChangeKind.SL:
        return op.sl
    return op.tp if op.kind is ChangeKind.TP else op.price
