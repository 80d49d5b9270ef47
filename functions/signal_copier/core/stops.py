"""The broker's stops level: how near the price an SL, a TP or a pending entry may be (MT5)."""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, localcontext

from signal_copier.core.market import Quote, SymbolSpec
from signal_copier.core.model import OrderType, Side


def round_price(price: Decimal, spec: SymbolSpec) -> Decimal:
    """Round a price to the symbol's tick size (any finite price: checks judge absurd ones)."""
    # Enough digits for the whole number of ticks, so "SL 1e30" is refused as a slip by the
    # level checks instead of raising decimal.InvalidOperation here.
    digits = max(price.adjusted() - spec.point.adjusted(), 0) + 10
    with localcontext(prec=max(digits, 28)):
        ticks = (price / spec.tick_size).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        return (ticks * spec.tick_size).quantize(spec.point)


def stops_distance(spec: SymbolSpec) -> Decimal:
    """Return the minimum distance from the price, as a price (stops_level is in points)."""
    return spec.stops_level * spec.point


def clear_level(
    level: Decimal, reference: Decimal, side: Side, *, protective: bool, spec: SymbolSpec
) -> Decimal | None:
    """Return a level at least the stops level from `reference`; None if on the wrong side.

    An SL (`protective`) belongs below a buy's reference and above a sell's, a TP the other way;
    a level on its side but too near is moved out to the nearest price the broker accepts.
    """
    away = -side.sign if protective else side.sign
    gap = (level - reference) * away
    if gap <= 0:
        return None
    distance = stops_distance(spec)
    if gap >= distance:
        return level
    return _on_grid(reference + away * distance, away, spec)


def waits_above(side: Side, order_type: OrderType) -> bool:
    """Return whether a pending order waits above the market (buy stops and sell limits)."""
    return (order_type is OrderType.STOP) == (side is Side.BUY)


def entry_gap(side: Side, order_type: OrderType, price: Decimal, quote: Quote) -> Decimal:
    """Return how far a pending price waits from the market, on its side (> 0 when valid)."""
    market = quote.price_for(side)
    return price - market if waits_above(side, order_type) else market - price


def nearest_entry(side: Side, order_type: OrderType, quote: Quote, spec: SymbolSpec) -> Decimal:
    """Return the nearest pending price the broker accepts for this side and order type."""
    away = 1 if waits_above(side, order_type) else -1
    return _on_grid(quote.price_for(side) + away * stops_distance(spec), away, spec)


def _on_grid(price: Decimal, away: int, spec: SymbolSpec) -> Decimal:
    # Round away from the reference so rounding to the tick never brings the level back inside.
    rounding = ROUND_CEILING if away > 0 else ROUND_FLOOR
    ticks = (price / spec.tick_size).to_integral_value(rounding=rounding)
    return (ticks * spec.tick_size).quantize(spec.point)
