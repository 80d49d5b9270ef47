"""How much of each position a partial close ("close half") takes, with whole legs when nearer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal

from signal_copier.core.market import Position, SymbolSpec
from signal_copier.core.sizing import truncate_volume

_FINE = Decimal("1e-9")  # far below any volume step: only a repeating share (1/3) is rounded


def share(volume: Decimal, fraction: Decimal) -> Decimal:
    """Return `fraction` of `volume`, a third of 3.00 being 1.00 and not 0.999… cut to 0.99."""
    return (volume * fraction).quantize(_FINE, rounding=ROUND_HALF_EVEN)


def close_volume(volume: Decimal, fraction: Decimal, spec: SymbolSpec) -> Decimal:
    """Return how much of a position to close: a step multiple the broker accepts.

    A part under the minimum is the minimum; a part that would leave less than the minimum is
    the whole position only when that is nearer than leaving the minimum.
    """
    asked = share(volume, fraction)
    part = max(truncate_volume(asked, spec), spec.volume_min)
    if volume - part >= spec.volume_min:
        return part
    rest = truncate_volume(volume - spec.volume_min, spec)
    if rest >= spec.volume_min and abs(rest - asked) < abs(volume - asked):
        return rest
    return volume


def close_plan(
    legs: Sequence[Position], fraction: Decimal, specs: Mapping[str, SymbolSpec]
) -> dict[str, Decimal]:
    """Return the volume to close of each leg of one signal (position id → lots; 0 = keep).

    Of what the broker allows (whole legs, or parts of at least the minimum that leave at least
    the minimum), the plan whose total comes nearest the fraction asked: two 0.01 legs closed by
    half lose one leg, a quarter of two 0.02 legs is one 0.01 part, and a part smaller than a step
    is one step. Closing nothing is a plan too: 10 % of a minimum lot keeps the position rather
    than closing all of it. On a tie the smaller close wins, but never nothing over something.
    """
    if fraction >= 1:
        return {leg.id: leg.volume for leg in legs}
    asked = share(sum((leg.volume for leg in legs), Decimal(0)), fraction)
    plans = [
        {leg.id: close_volume(leg.volume, fraction, specs[leg.symbol]) for leg in legs},
        _whole_legs(legs, asked),
        _filled_in_order(legs, asked, specs),
        {leg.id: Decimal(0) for leg in legs},
    ]
    return min(plans, key=lambda plan: _score(_total(plan), asked))


def _score(total: Decimal, asked: Decimal) -> tuple[Decimal, bool, Decimal]:
    return abs(total - asked), total == 0, total


def _filled_in_order(
    legs: Sequence[Position], asked: Decimal, specs: Mapping[str, SymbolSpec]
) -> dict[str, Decimal]:
    # Take the amount asked leg by leg (TP1's first): whole legs while it covers them, then a
    # part the broker accepts; at least one step when the amount is under a step.
    plan = {leg.id: Decimal(0) for leg in legs}
    left = asked
    for leg in legs:
        spec = specs[leg.symbol]
        step = max(truncate_volume(left, spec), spec.volume_min if left > 0 else Decimal(0))
        if step <= 0:
            break
        if step >= leg.volume:
            plan[leg.id] = leg.volume
        elif leg.volume - step >= spec.volume_min:
            plan[leg.id] = step
        else:  # leave the minimum on this leg; the rest may come from the next one
            part = truncate_volume(leg.volume - spec.volume_min, spec)
            # A part under the minimum is refused by the broker: take none of this leg then.
            plan[leg.id] = part if part >= spec.volume_min else Decimal(0)
        left -= plan[leg.id]
    return plan


def _whole_legs(legs: Sequence[Position], asked: Decimal) -> dict[str, Decimal]:
    # Close the first k legs whole, for the k whose volume comes nearest the amount asked
    # (the fewest legs on a tie: a close never takes more than it must).
    best: dict[str, Decimal] = {}
    closed = Decimal(0)
    best_miss: Decimal | None = None
    for count, leg in enumerate(legs, start=1):
        closed += leg.volume
        miss = abs(closed - asked)
        if best_miss is None or miss < best_miss:
            best_miss = miss
            best = {other.id: other.volume for other in legs[:count]}
    return {**{leg.id: Decimal(0) for leg in legs}, **best}


def _total(volumes: Mapping[str, Decimal]) -> Decimal:
    return sum(volumes.values(), Decimal(0))


def nothing_closed(legs: Sequence[Position], fraction: Decimal) -> str:
    """Return why a partial close closed nothing (the broker's smallest close is farther off)."""
    held = _total({leg.id: leg.volume for leg in legs})
    return (
        f"closing {fraction * 100:.4g} % of {held} lots is nearer to keeping them than to any "
        "close the broker's minimum volume allows: nothing was closed"
    )
