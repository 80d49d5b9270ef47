"""Judge a levels-only message against the signal it completes (see core/parsing/completion.py).

"SL 2640 TP1 2660 TP2 2670" posted after "GOLD BUY NOW 2650" names no side: it completes that
signal only if it came within the user's window, and only if its levels fit the signal's side
(a buy's stop below its entry, its targets above). It never opens volume: each target goes to
the leg an opening would have given it, and a target with no open leg is noted, not traded.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from signal_copier.core.followups import leg_of
from signal_copier.core.guards import slipped
from signal_copier.core.model import Command, Side, Signal
from signal_copier.core.reasons import Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Misfit:
    """Why a levels-only message's levels do not fit one signal."""

    reason: Reason
    detail: str


def off_detail() -> str:
    """Return the sentence a record keeps when levels-only messages are switched off."""
    return "levels-only messages are switched off (split_window_s is 0)"


def late_detail(signal_date: datetime, message_date: datetime, window_s: int) -> str | None:
    """Return why a levels-only message is too late for its signal, or None if it is in time."""
    gap = (message_date - signal_date).total_seconds()
    if gap <= window_s:
        return None
    return (
        f"posted {gap:.0f} s after the signal, beyond the {window_s} s in which a levels-only "
        "message completes it (split_window_s): not applied"
    )


def misfit(command: Command, signal: Signal, prices: Iterable[Decimal]) -> Misfit | None:
    """Return why the levels contradict the signal's side, or None if they fit it.

    The levels are judged from the signal's entry, or, for a market signal without one, from
    each leg's own price (`prices`). A level a power of ten away is left to the slip check.
    """
    references = [signal.reference_price] if signal.reference_price is not None else prices
    for reference in references:
        found = misfit_at(command, signal.side, reference)
        if found is not None:
            return found
    return None


def misfit_at(command: Command, side: Side, reference: Decimal) -> Misfit | None:
    """Return why the command's SL or TPs lie on the wrong side of `reference` for `side`."""
    sign = side.sign
    below, above = ("below", "above") if side is Side.BUY else ("above", "below")
    sl = command.sl
    if sl is not None and not slipped(sl, reference) and (reference - sl) * sign <= 0:
        detail = f"SL {sl} is not {below} {reference} for a {side}: the levels are not applied"
        return Misfit(reason=Reason.SL_WRONG_SIDE, detail=detail)
    for tp in command.tps:
        if not slipped(tp, reference) and (tp - reference) * sign <= 0:
            detail = f"TP {tp} is not {above} {reference} for a {side}: the levels are not applied"
            return Misfit(reason=Reason.TP_WRONG_SIDE, detail=detail)
    return None


def untraded_targets(command: Command, client_ids: Sequence[str]) -> str | None:
    """Return a note naming the targets no open leg takes (no volume is opened for them)."""
    legs = {leg_of(client_id) for client_id in client_ids}
    numbers = command.tp_numbers or tuple(range(1, len(command.tps) + 1))
    left = [f"TP{n} {tp}" for n, tp in zip(numbers, command.tps, strict=True) if n - 1 not in legs]
    if not left or not legs:
        return None
    return (
        f"{', '.join(left)}: no open position of the signal carries this target, and a "
        "levels-only message never opens new volume"
    )


def on_one_position(command: Command, netting_tp: int) -> tuple[Command, str]:
    """Return the command with the one target a netting account's position takes, and a note.

    As an opening on such an account: TP number `netting_tp`, or the last one given when the
    message gives fewer; a message that does not give that target changes no target.
    """
    numbers = command.tp_numbers or tuple(range(1, len(command.tps) + 1))
    by_number = dict(zip(numbers, command.tps, strict=True))
    wanted = min(netting_tp, max(numbers))
    tp = by_number.get(wanted)
    kept = replace(command, tps=() if tp is None else (tp,), tp_numbers=())
    taken = "no target given for it" if tp is None else f"TP{wanted} {tp}"
    return kept, f"netting account: its one position takes {taken} (netting_tp)"
