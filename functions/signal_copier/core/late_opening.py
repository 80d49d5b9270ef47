"""The signal a levels-only message completes: a side-first signal with the message's levels.

"XAUUSD BUY NOW @ 2650" refused for want of a stop, then "SL 2640 TP1 2660 TP2 2670": the
signal to open is the first with the second's stop and targets. Targets the message numbers
("TP2 2670") replace the signal's own of that number; the list must then run from TP1 without
a gap, or the legs could not be told apart. The message's entry is never the trade's.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from signal_copier.core.guards import Skip, slipped, tps_in_order
from signal_copier.core.model import Command, Signal
from signal_copier.core.reasons import Reason
from signal_copier.core.typos import meant_stop


def completed(signal: Signal, command: Command) -> Signal | str:
    """Return `signal` with the command's stop and targets, or why they cannot complete it."""
    if command.sl is None:
        return "these levels give no stop: the signal stays without one and is not opened"
    tps = merged_targets(signal.tps, command)
    if isinstance(tps, str):
        return tps
    if tps == signal.tps:
        return replace(signal, sl=command.sl, sl_pips=None)
    return replace(signal, sl=command.sl, sl_pips=None, tps=tps, tp_pips=(), tp_open=False)


def merged_targets(tps: tuple[Decimal, ...], command: Command) -> tuple[Decimal, ...] | str:
    """Return targets `tps` as the command's targets set them, or why the result is unclear.

    Unnumbered targets are the new list (as each leg of an open trade takes them); numbered ones
    replace their own places, and the list must run from TP1 without a gap.
    """
    if not command.tps:
        return tps
    if not command.tp_numbers:
        return command.tps
    by_number = dict(enumerate(tps, start=1))
    by_number.update(zip(command.tp_numbers, command.tps, strict=True))
    numbers = sorted(by_number)
    if numbers != list(range(1, len(numbers) + 1)):
        named = ", ".join(f"TP{n}" for n in command.tp_numbers)
        return f"{named} without the targets before them: which leg takes which is unclear"
    return tuple(by_number[n] for n in numbers)


def unfit(signal: Signal) -> Skip | None:
    """Return why a completed signal's levels are wrong in a way the channel may still fix.

    Judged against its entry before its one late opening is decided, so that the channel's fix
    (an edit of the levels or of the signal) still opens it. A signal without an entry is
    judged at the market when it opens.
    """
    reference = signal.reference_price
    if reference is None:
        return None
    levels = [("SL", signal.sl), *((f"TP{i}", tp) for i, tp in enumerate(signal.tps, start=1))]
    for label, price in levels:
        if price is not None and slipped(price, reference):
            detail = f"{label} {price} is a power of ten away from the entry {reference}"
            return Skip(reason=Reason.PRICE_DECIMAL_SLIP, detail=detail)
    meant = meant_stop(signal, reference)
    if meant is not None:
        detail = f"SL {signal.sl} lies far beyond every target, where {meant} would fit: a typo?"
        return Skip(reason=Reason.PRICE_TYPO, detail=detail)
    if not tps_in_order(signal):
        return Skip(reason=Reason.TPS_OUT_OF_ORDER, detail="take-profits are not in order")
    return None
