"""What checking new levels decided: the operations to send, and the levels refused and why."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from signal_copier.core.followups import Operation
from signal_copier.core.model import Status, TradeResult
from signal_copier.core.reasons import Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """One level that was not set, and why."""

    target: str
    symbol: str
    level: str  # "SL", "TP" or "entry"
    price: Decimal
    reason: Reason
    detail: str

    @property
    def note(self) -> str:
        """Return the sentence the trade record keeps."""
        return (
            f"{self.symbol} #{self.target}: {self.level} {self.price} not set "
            f"({self.reason}): {self.detail}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Checked:
    """The operations to send, the levels refused and the levels moved out of the stops level."""

    operations: tuple[Operation, ...]
    refusals: tuple[Refusal, ...] = ()
    notes: tuple[str, ...] = ()
    # Level changes that found their position or order already so (nothing to send): on a
    # retry, most likely what the attempt cut short had set.
    already: tuple[Operation, ...] = ()


def with_refusals(result: TradeResult, checked: Checked) -> TradeResult:
    """Return a follow-up's result that also says which levels were refused or moved, and why.

    When every change was refused, the result is a skip with the first refusal's reason.
    """
    notes = (*result.notes, *checked.notes, *(r.note for r in checked.refusals))
    nothing_sent = result.status is Status.SKIPPED and result.reason is Reason.NOTHING_TO_CHANGE
    if checked.refusals and nothing_sent:
        detail = "; ".join(r.note for r in checked.refusals)
        return replace(result, reason=checked.refusals[0].reason, detail=detail, notes=notes)
    return replace(result, notes=notes)
