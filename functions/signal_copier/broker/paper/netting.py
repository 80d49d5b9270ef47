"""Netting accounts (MT5 RETAIL_NETTING, EXCHANGE): one position per symbol, orders net into it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from signal_copier.core.market import Position


@dataclass(frozen=True, slots=True, kw_only=True)
class Netted:
    """What booking an order into a symbol's position did."""

    position: Position | None  # the symbol's position afterwards (None: it was closed)
    closed: Decimal  # volume of the earlier position the order closed
    opened: Decimal  # volume the order added, or opened on the other side (a reversal)


def net(held: Position, incoming: Position) -> Netted:
    """Book `incoming` into the symbol's position `held`, as an MT5 netting account does.

    The same side adds volume at the volume-weighted price (the order's SL/TP replace the
    position's when it has them); the other side reduces, closes, or reverses the position,
    which keeps its id.
    """
    if incoming.side is held.side:
        volume = held.volume + incoming.volume
        price = (held.open_price * held.volume + incoming.open_price * incoming.volume) / volume
        merged = replace(
            held,
            volume=volume,
            open_price=price,
            sl=held.sl if incoming.sl is None else incoming.sl,
            tp=held.tp if incoming.tp is None else incoming.tp,
        )
        return Netted(position=merged, closed=Decimal(0), opened=incoming.volume)
    closed = min(held.volume, incoming.volume)
    if incoming.volume < held.volume:
        return Netted(
            position=replace(held, volume=held.volume - closed), closed=closed, opened=Decimal(0)
        )
    if incoming.volume == held.volume:
        return Netted(position=None, closed=closed, opened=Decimal(0))
    reversed_ = replace(incoming, id=held.id, volume=incoming.volume - closed)
    return Netted(position=reversed_, closed=closed, opened=reversed_.volume)
