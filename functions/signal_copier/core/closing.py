"""How much of each position a partial close ("close half") takes, with whole legs when nearer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from signal_copier.core.market import Position, SymbolSpec
from signal_copier.core.sizing import truncate_volume


def close_volume(volume: Decimal, fraction: Decimal, spec: SymbolSpec) -> Decimal:
    """Return how much of a position to close: a step multiple, or all when a part can't stand."""
    part = truncate_volume(volume * fraction, spec)
    if part < spec.volume_min or volume - part < spec.volume_min:
        return volume
    return part


def close_plan(
    legs: Sequence[Position], fraction: Decimal, specs: Mapping[str, SymbolSpec]
) -> dict[str, Decimal]:
    """Return the volume to close of each leg of one signal (position id → lots; 0 = keep).

    A part of each leg is closed, unless closing whole legs (TP1's first) comes nearer the
    fraction asked: two 0.01 legs closed by half lose one leg, not both.
    """
    if fraction >= 1:
        return {leg.id: leg.volume for leg in legs}
    asked = sum((leg.volume for leg in legs), Decimal(0)) * fraction
    parts = {leg.id: close_volume(leg.volume, fraction, specs[leg.symbol]) for leg in legs}
    whole = _whole_legs(legs, asked)
    if abs(_total(whole) - asked) < abs(_total(parts) - asked):
        return whole
    return parts


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
