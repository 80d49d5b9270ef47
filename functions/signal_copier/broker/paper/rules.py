"""What an MT5 server checks and triggers: volumes, stop levels, pending prices, SL/TP hits."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.broker.paper.specs import Instrument
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.market import DealReason
from signal_copier.core.model import OrderType, Side
from signal_copier.core.reasons import Reason


def check_volume(inst: Instrument, volume: Decimal) -> None:
    """Reject a volume below the minimum, above the maximum or off the volume step."""
    if not inst.volume_min <= volume <= inst.volume_max or volume % inst.volume_step != 0:
        raise BrokerRejected(
            f"volume {volume} is not within {inst.volume_min}..{inst.volume_max} "
            f"in steps of {inst.volume_step}",
            reason=Reason.INVALID_VOLUME,
        )


def check_close_volume(inst: Instrument, volume: Decimal, open_volume: Decimal) -> None:
    """Reject a close volume off the step, under the minimum or above the position's volume."""
    if volume > open_volume:
        raise BrokerRejected(
            f"cannot close {volume} lots of a {open_volume} lot position",
            reason=Reason.INVALID_VOLUME,
        )
    check_volume(inst, volume)


def check_stops(
    side: Side, reference: Decimal, sl: Decimal | None, tp: Decimal | None, distance: Decimal
) -> None:
    """Reject an SL or TP on the wrong side of `reference` or closer to it than `distance`."""
    for name, level, direction in (("sl", sl, -1), ("tp", tp, 1)):
        if level is None:
            continue
        gap = (level - reference) * side.sign * direction
        if gap <= 0 or gap < distance:
            raise BrokerRejected(
                f"{name} {level} is on the wrong side of {reference} for a {side} "
                f"or closer than {distance}",
                reason=Reason.INVALID_STOPS,
            )


def check_pending_price(
    side: Side, order_type: OrderType, price: Decimal, bid: Decimal, ask: Decimal, distance: Decimal
) -> None:
    """Reject a pending price the market already crossed or that is closer than `distance`."""
    market = ask if side is Side.BUY else bid
    gap = price - market if _triggers_above(side, order_type) else market - price
    if gap <= 0 or gap < distance:
        raise BrokerRejected(
            f"{side} {order_type} at {price} is invalid with the market at {market}",
            reason=Reason.INVALID_PRICE,
        )


def crossed(side: Side, order_type: OrderType, price: Decimal, bid: Decimal, ask: Decimal) -> bool:
    """Return whether the market reached a pending order's price (buys watch ask, sells bid)."""
    market = ask if side is Side.BUY else bid
    return market >= price if _triggers_above(side, order_type) else market <= price


def stop_hit(
    side: Side, sl: Decimal | None, tp: Decimal | None, bid: Decimal, ask: Decimal
) -> DealReason | None:
    """Return SL or TP if the closing price (bid for buys, ask for sells) reached it."""
    price = closing_price(side, bid, ask)
    if sl is not None and (price - sl) * side.sign <= 0:
        return DealReason.SL
    if tp is not None and (price - tp) * side.sign >= 0:
        return DealReason.TP
    return None


def opening_price(side: Side, bid: Decimal, ask: Decimal) -> Decimal:
    """Return the price a position on `side` opens at (buy at ask, sell at bid)."""
    return ask if side is Side.BUY else bid


def closing_price(side: Side, bid: Decimal, ask: Decimal) -> Decimal:
    """Return the price a position on `side` closes at (buy at bid, sell at ask)."""
    return bid if side is Side.BUY else ask


def _triggers_above(side: Side, order_type: OrderType) -> bool:
    # Buy stops and sell limits wait above the market; buy limits and sell stops below it.
    return (order_type is OrderType.STOP) == (side is Side.BUY)
