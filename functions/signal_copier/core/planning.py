"""Turn one signal into orders for one user: entry type, SL/TP prices, one position per TP.

Levels are planned as the broker will judge them: a pending entry, SL or TP nearer the price
than the symbol's stops level is moved out (or the entry taken at market), and the plan says so;
a netting account gets one position, or none (core.netting).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core import ids
from signal_copier.core.guards import Skip
from signal_copier.core.market import MarginMode, Quote, SymbolSpec
from signal_copier.core.model import OrderPlan, OrderRequest, OrderType, Side, Signal
from signal_copier.core.netting import check_netting
from signal_copier.core.protection import Levels, plan_levels, target_passed
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import FarEntry, NearEntry, TradeSettings
from signal_copier.core.sizing import SizingError, split_volume, total_volume
from signal_copier.core.stops import entry_gap, nearest_entry, round_price, stops_distance


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
    margin_mode: MarginMode = MarginMode.HEDGING,
    held_on_symbol: int = 0,
) -> OrderPlan | Skip:
    """Return the orders that copy `signal` for one account, or why none should be sent.

    `held_on_symbol` counts the positions and orders already on the symbol (netting accounts).
    """
    refusal = check_netting(margin_mode, held_on_symbol, settings, broker_symbol)
    if refusal is not None:
        return refusal
    chosen = _entry_and_levels(signal, settings, spec, quote, single=margin_mode.netted)
    if isinstance(chosen, Skip):
        return chosen
    entry, levels = chosen
    try:
        volume = total_volume(settings, balance=balance, entry=entry.price, sl=levels.sl, spec=spec)
    except SizingError as e:
        return Skip(reason=e.reason, detail=str(e))
    weights = _weights(settings, len(levels.tps))
    volumes = split_volume(volume, weights, spec)
    pending = entry.order_type is not OrderType.MARKET
    orders = tuple(
        OrderRequest(
            client_id=ids.leg_client_id(client_id, leg),
            symbol=broker_symbol,
            side=signal.side,
            order_type=entry.order_type,
            volume=leg_volume,
            price=round_price(entry.price, spec) if pending else None,
            sl=levels.sl,
            tp=tp,
            leg=leg,
        )
        for (leg, tp), leg_volume in zip(levels.tps, volumes, strict=False)
    )
    notes = (entry.note, *levels.notes, f"{volume} lots in {len(orders)} position(s)")
    notes += _left_out(levels.tps[len(orders) :], volume, spec)
    return OrderPlan(intent_id=intent_id, orders=orders, notes=notes)


def _left_out(
    dropped: Sequence[tuple[int, Decimal | None]], volume: Decimal, spec: SymbolSpec
) -> tuple[str, ...]:
    # Legs the volume could not fill: the trader must learn why the runners are missing.
    if not dropped:
        return ()
    names = ", ".join(f"TP{leg + 1}" for leg, _ in dropped)
    return (f"{names} left out: {volume} lots make no more legs of at least {spec.volume_min}",)


def _entry_and_levels(
    signal: Signal, settings: TradeSettings, spec: SymbolSpec, quote: Quote, *, single: bool
) -> tuple[Entry, Levels] | Skip:
    entry = choose_entry(signal, settings, spec, quote)
    if isinstance(entry, Skip):
        return entry
    fitted = fit_entry(entry, signal.side, quote, spec, settings.near_entry)
    levels = plan_levels(
        signal, settings, spec, quote, (fitted.order_type, fitted.price), single=single
    )
    if isinstance(levels, Skip) and fitted.order_type is not entry.order_type:
        # Taken at market its SL would not protect: wait at the nearest accepted price instead.
        fitted = fit_entry(entry, signal.side, quote, spec, NearEntry.MOVE)
        levels = plan_levels(
            signal, settings, spec, quote, (fitted.order_type, fitted.price), single=single
        )
    return levels if isinstance(levels, Skip) else (fitted, levels)


def choose_entry(
    signal: Signal, settings: TradeSettings, spec: SymbolSpec, quote: Quote
) -> Entry | Skip:
    """Decide market vs pending from the signal's entry (or zone) and the current quote."""
    market = quote.price_for(signal.side)
    wanted = near_edge(signal)
    if wanted is None:
        if signal.order_type is not OrderType.MARKET:  # never at market, nor at a guessed price
            detail = f"a {signal.order_type} order needs its entry price, and none was given"
            return Skip(reason=Reason.NO_ENTRY, detail=detail)
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
    passed = _target_passed(signal, spec, quote, wanted)
    if passed is not None:
        return Skip(reason=Reason.PRICE_TOO_FAR, detail=passed)
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


def _target_passed(signal: Signal, spec: SymbolSpec, quote: Quote, wanted: Decimal) -> str | None:
    # A call to trade now whose price already ran through its first target: the channel's move
    # is over, and a limit waiting at its entry would buy (or sell) the next pull-back instead.
    first = target_passed(signal, spec, quote, wanted)
    if first is None:
        return None
    closing = quote.price_for(signal.side, closing=True)
    return f"price {closing} is already past TP1 {first}: the move this signal called is over"


def fit_entry(entry: Entry, side: Side, quote: Quote, spec: SymbolSpec, how: NearEntry) -> Entry:
    """Take a pending entry nearer the price than the stops level at market, or move it out."""
    if entry.order_type is OrderType.MARKET:
        return entry
    distance = stops_distance(spec)
    if entry_gap(side, entry.order_type, entry.price, quote) >= distance:
        return entry
    market = quote.price_for(side)
    why = (
        f"{entry.order_type} {entry.price} is within the broker's stops level ({distance}) "
        f"of the price {market}"
    )
    if how is NearEntry.MOVE:
        price = nearest_entry(side, entry.order_type, quote, spec)
        return Entry(order_type=entry.order_type, price=price, note=f"{why}: moved to {price}")
    return Entry(order_type=OrderType.MARKET, price=market, note=f"{why}: market order")


def near_edge(signal: Signal) -> Decimal | None:
    """Return the entry, or the zone edge price reaches first (a buy zone's top)."""
    if signal.entry_range is not None:
        low, high = signal.entry_range
        return high if signal.side is Side.BUY else low
    return signal.entry


def _weights(settings: TradeSettings, positions: int) -> list[Decimal]:
    # One weight per position: the configured split, padded with equal parts.
    weights = list(settings.tp_split[:positions])
    return weights + [Decimal(1)] * (positions - len(weights))


def _in_zone(signal: Signal, market: Decimal) -> bool:
    if signal.entry_range is None:
        return True
    low, high = signal.entry_range
    return low <= market <= high
