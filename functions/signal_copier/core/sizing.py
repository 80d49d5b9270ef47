"""Position size: fixed lot or % risk from the SL distance, truncated to the volume step."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_DOWN, Decimal

from signal_copier.core.market import SymbolSpec
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import RiskMode, TradeSettings


class SizingError(ValueError):
    """No valid volume exists; `reason` is the user-visible skip reason."""

    def __init__(self, reason: Reason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


def truncate_volume(volume: Decimal, spec: SymbolSpec) -> Decimal:
    """Round a volume down to the symbol's volume step (never up)."""
    steps = (volume / spec.volume_step).to_integral_value(rounding=ROUND_DOWN)
    if steps <= 0:
        return Decimal(0)
    exact = (steps * spec.volume_step).normalize()
    # normalize() writes 100 as 1E+2, which a record or a note would show as "1E+2 lots"
    return exact.quantize(Decimal(1)) if exact.as_tuple().exponent > 0 else exact  # type: ignore[operator]


def loss_per_lot(entry: Decimal, sl: Decimal, spec: SymbolSpec) -> Decimal:
    """Return what one lot loses, in account currency, if price moves from entry to SL."""
    return abs(entry - sl) / spec.tick_size * spec.tick_value


def total_volume(
    settings: TradeSettings,
    *,
    balance: Decimal,
    entry: Decimal,
    sl: Decimal | None,
    spec: SymbolSpec,
) -> Decimal:
    """Return the whole signal's volume (before splitting across TPs)."""
    if settings.risk_mode is RiskMode.FIXED_LOT:
        volume = settings.lot
    else:
        if sl is None or sl == entry:
            raise SizingError(Reason.NO_SL, "risk sizing needs a stop loss")
        risk = balance * settings.risk_percent / 100
        volume = risk / loss_per_lot(entry, sl, spec)
    volume = min(volume, settings.max_lot, spec.volume_max)
    volume = truncate_volume(volume, spec)
    if volume < spec.volume_min:
        raise SizingError(
            Reason.VOLUME_TOO_SMALL,
            f"size {volume} is below the minimum {spec.volume_min} lot for {spec.symbol}",
        )
    return volume


def split_volume(total: Decimal, weights: Sequence[Decimal], spec: SymbolSpec) -> list[Decimal]:
    """Split a volume across legs by weight; drop trailing legs that would be under the minimum."""
    for count in range(len(weights), 0, -1):
        legs = _split(total, weights[:count], spec)
        if all(leg >= spec.volume_min for leg in legs):
            return legs
    return [total]


def _split(total: Decimal, weights: Sequence[Decimal], spec: SymbolSpec) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    legs = [truncate_volume(total * w / whole, spec) for w in weights]
    legs[0] += total - sum(legs, Decimal(0))  # truncation remainder goes to the first TP
    return legs
