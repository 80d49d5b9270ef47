"""Side-flipped signals: an edit turning a signal's side or symbol takes back its old trades.

The channel withdrew what it posted, as by deleting it, and posted something else in its
place. The old signal's unfilled orders (its re-entries' too) are cancelled whatever the
setting (the channel said so), its filled positions follow `on_signal_deleted` (kept by
default: the record says to check them), and the edit itself is never opened: a trade on the
wrong side is the worst mistake.
"""

from __future__ import annotations

from dataclasses import replace

from signal_copier.core.deletion import outcome, withdrawal
from signal_copier.core.edit_plan import turned
from signal_copier.core.errors import Rejected
from signal_copier.core.model import ChangeKind, Intent, Signal, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import OnSignalDeleted
from signal_copier.services.context import user_context
from signal_copier.services.deletes import take_back
from signal_copier.services.deps import Deps
from signal_copier.services.operations import is_open_trade
from signal_copier.services.records import skipped


def named(signal: Signal) -> str:
    """Return a signal as a user reads it in a record ("BUY XAUUSD")."""
    return f"{signal.side.upper()} {signal.symbol}"


def not_traded(intent: Intent, was: Signal, signal: Signal) -> TradeResult:
    """Return the record of a flip that has no trade of the old signal to take back."""
    detail = f"the edit turned {named(was)} into {named(signal)}: {_NEVER_OPENED}"
    return skipped(intent, Reason.SIGNAL_CHANGED, detail)


def reentries_of(
    group: list[TradeRecord], own: list[TradeRecord], was: Signal, signal: Signal
) -> list[TradeRecord]:
    """Return the open re-entry trades of `was`, the version the channel turned into `signal`.

    Re-entries are filed with the signal they repeat (`group`, less the post's `own` records):
    withdrawing the signal withdraws them, as its deletion does.
    """
    mine = {r.intent.id for r in own}
    return [
        r
        for r in group
        if r.intent.id not in mine
        and is_open_trade(r)
        and r.signal is not None
        and not turned(r.signal, was)
        and turned(r.signal, signal)
    ]


async def taken_back(
    intent: Intent, turned: list[TradeRecord], signal: Signal, deps: Deps, *, retry: bool
) -> TradeResult:
    """Take back, for one user, the trades of a signal the channel turned into `signal`."""
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    setting = context[1].on_signal_deleted
    action = withdrawal(setting)
    try:
        result, positions = await take_back(deps, intent, turned, action, retry=retry)
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    cancelled = sum(1 for c in result.changes if c.kind is ChangeKind.CANCEL)
    closed = sum(1 for c in result.changes if c.kind is ChangeKind.CLOSE)
    kept = positions if action is OnSignalDeleted.CANCEL_PENDING else 0
    was = turned[0].signal
    how = f"turned {named(was)} into {named(signal)} in" if was is not None else "changed"
    said = outcome(action, cancelled, closed, kept, retried=retry, how=how, setting=setting)
    said += f"; {_NEVER_OPENED}"
    if kept:
        said += " — check the kept position(s)"
    if result.status is Status.REJECTED:
        return replace(result, detail=f"{said}; refused: {result.detail}")
    detail = f"{said}; refused: {result.detail}" if result.detail else said
    return replace(result, reason=Reason.SIGNAL_CHANGED, detail=detail)


_NEVER_OPENED = "the edit was not traded (a signal turned to another side or symbol never opens)"
