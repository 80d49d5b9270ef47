"""Turn one signal into orders for one user: entry type, SL/TP prices, one position per TP."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from signal_copier.core import ids
from signal_copier.core.guards import Skip
from signal_copier.core.market import Quote, SymbolSpec
from signal_copier.core.model import OrderPlan, OrderRequest, OrderType, Side, Signal
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import FarEntry, NoStopLoss, TradeSettings
from signal_copier.core.sizing import SizingError, split_volume, total_volume


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    order_type: OrderType
    price: Decimal  # the pending price, or the market price a market order expects
    note: str


def plan_orders(
    *,
    intent_id: str,
    client_id: str,
    signal: Signal,
    settings: TradeSettings,
    spec: SymbolSpec,
    quote: Quote,
    balance: Decimal,
    broker_symbol: str,
) -> OrderPlan | Skip:
    """Return the orders that copy `signal` for one account, or why none should be sent."""
    entry = choose_entry(signal, settings, spec, quote)
    if isinstance(entry, Skip):
        return entry
    sl = stop_loss(signal, settings, spec, entry.price)
    if isinstance(sl, Skip):
        return sl
    if sl is not None and not _protects(signal.side, sl, entry, quote):
        return Skip(
            reason=Reason.SL_WRONG_SIDE, detail=f"SL {sl} is not below/above where it fills"
        )
    tps = take_profits(signal, spec, entry.price)[: settings.max_positions_per_signal]
    try:
        volume = total_volume(settings, balance=balance, entry=entry.price, sl=sl, spec=spec)
    except SizingError as e:
        return Skip(reason=e.reason, detail=str(e))
    legs = split_volume(volume, _weights(settings, len(tps)), spec)
    pending = entry.order_type is not OrderType.MARKET
    orders = tuple(
        OrderRequest(
            client_id=ids.leg_client_id(client_id, leg),
            symbol=broker_symbol,
            side=signal.side,
            order_type=entry.order_type,
            volume=leg_volume,
            price=round_price(entry.price, spec) if pending else None,
            sl=round_price(sl, spec) if sl is not None else None,
            tp=_leg_tp(tps, leg, spec),
            leg=leg,
        )
        for leg, leg_volume in enumerate(legs)
    )
    return OrderPlan(
        intent_id=intent_id,
        orders=orders,
        notes=(entry.note, f"{volume} lots in {len(orders)} position(s)"),
    )


def choose_entry(
    signal: Signal, settings: TradeSettings, spec: SymbolSpec, quote: Quote
) -> Entry | Skip:
    """Decide market vs pending from the signal's entry (or zone) and the current quote."""
    market = quote.price_for(signal.side)
    wanted = near_edge(signal)
    if wanted is None:
        return Entry(order_type=OrderType.MARKET, price=market, note="market: no entry price given")
    behind = (market - wanted) * signal.side.sign  # > 0: price has moved against the entry
    if signal.order_type is OrderType.STOP and behind < 0:
        return Entry(order_type=OrderType.STOP, price=wanted, note=f"stop order at {wanted}")
    if behind <= 0 and _in_zone(signal, market):
        return Entry(order_type=OrderType.MARKET, price=market, note=f"market: {market} in zone")
    if signal.order_type is OrderType.LIMIT and behind > 0:
        return Entry(order_type=OrderType.LIMIT, price=wanted, note=f"limit order at {wanted}")
    if behind <= settings.max_entry_distance_pips * spec.pip:
        return Entry(order_type=OrderType.MARKET, price=market, note=f"market at {market}")
    if settings.far_entry is FarEntry.LIMIT:
        return Entry(
            order_type=OrderType.LIMIT,
            price=wanted,
            note=f"price {market} ran {behind / spec.pip:.1f} pips from {wanted}: limit order",
        )
    return Skip(
        reason=Reason.PRICE_TOO_FAR,
        detail=f"price {market} is {behind / spec.pip:.1f} pips past the entry {wanted}",
    )


def stop_loss(
    signal: Signal, settings: TradeSettings, spec: SymbolSpec, entry: Decimal
) -> Decimal | Skip | None:
    """Return the SL price: the signal's, from its pips, the default, or why there is none."""
    if signal.sl is not None:
        return signal.sl
    pips = signal.sl_pips
    if pips is None and settings.no_sl is NoStopLoss.DEFAULT_SL:
        pips = settings.default_sl_pips
    if pips is None:
        return Skip(reason=Reason.NO_SL, detail="the signal has no stop loss and no default is set")
    return entry - signal.side.sign * pips * spec.pip


def take_profits(signal: Signal, spec: SymbolSpec, entry: Decimal) -> list[Decimal | None]:
    """Return one TP per position: prices, from pips, plus an open runner; [] if none given."""
    tps: list[Decimal | None] = list(signal.tps)
    if not tps:
        tps = [entry + signal.side.sign * pips * spec.pip for pips in signal.tp_pips]
    if signal.tp_open:
        tps.append(None)
    return tps


def round_price(price: Decimal, spec: SymbolSpec) -> Decimal:
    """Round a price to the symbol's tick size."""
    ticks = (price / spec.tick_size).quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
    return (ticks * spec.tick_size).quantize(spec.point)


def _leg_tp(tps: list[Decimal | None], leg: int, spec: SymbolSpec) -> Decimal | None:
    tp = tps[leg] if leg < len(tps) else None
    return round_price(tp, spec) if tp is not None else None


def _weights(settings: TradeSettings, tp_count: int) -> list[Decimal]:
    # One weight per position: the configured split, padded with equal parts.
    count = max(tp_count, 1)
    weights = list(settings.tp_split[:count])
    return weights + [Decimal(1)] * (count - len(weights))


def _protects(side: Side, sl: Decimal, entry: Entry, quote: Quote) -> bool:
    # A market order is judged where it could be closed (bid for a buy), as MT5 does.
    where = (
        entry.price
        if entry.order_type is not OrderType.MARKET
        else quote.price_for(side, closing=True)
    )
    return (where - sl) * side.sign > 0


def near_edge(signal: Signal) -> Decimal | None:
    """Return the entry, or the zone edge price reaches first (a buy zone's top)."""
    if signal.entry_range is not None:
        low, high = signal.entry_range
        return high if signal.side is Side.BUY else low
    return signal.entry


def _in_zone(signal: Signal, market: Decimal) -> bool:
    if signal.entry_range is None:
        return True
    low, high = signal.entry_range
    return low <= market <= high
