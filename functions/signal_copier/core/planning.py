"""Turn one signal into orders for one user: entry type, SL/TP prices, one position per TP.

Levels are planned as the broker will judge them: a pending entry, SL or TP nearer the price
than the symbol's stops level is moved out (or the entry taken at market), and the plan says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from signal_copier.core import ids
from signal_copier.core.guards import Skip
from signal_copier.core.market import MarginMode, Quote, SymbolSpec
from signal_copier.core.model import OrderPlan, OrderRequest, OrderType, Side, Signal
from signal_copier.core.netting import check_netting, single_leg
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import FarEntry, NearEntry, NoStopLoss, TradeSettings
from signal_copier.core.sizing import SizingError, split_volume, total_volume
from signal_copier.core.stops import (
    clear_level,
    entry_gap,
    nearest_entry,
    stops_distance,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    order_type: OrderType
    price: Decimal  # the pending price, or the market price a market order expects
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Levels:
    sl: Decimal | None
    tps: tuple[tuple[int, Decimal | None], ...]  # (leg = TP index, TP) for each position
    notes: tuple[str, ...]


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
    entry = choose_entry(signal, settings, spec, quote)
    if isinstance(entry, Skip):
        return entry
    entry = fit_entry(entry, signal.side, quote, spec, settings)
    levels = plan_levels(signal, settings, spec, quote, entry, single=margin_mode.netted)
    if isinstance(levels, Skip):
        return levels
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
    return OrderPlan(intent_id=intent_id, orders=orders, notes=notes)


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


def fit_entry(
    entry: Entry, side: Side, quote: Quote, spec: SymbolSpec, settings: TradeSettings
) -> Entry:
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
    if settings.near_entry is NearEntry.MOVE:
        price = nearest_entry(side, entry.order_type, quote, spec)
        return Entry(order_type=entry.order_type, price=price, note=f"{why}: moved to {price}")
    return Entry(order_type=OrderType.MARKET, price=market, note=f"{why}: market order")


def plan_levels(
    signal: Signal,
    settings: TradeSettings,
    spec: SymbolSpec,
    quote: Quote,
    entry: Entry,
    *,
    single: bool = False,
) -> Levels | Skip:
    """Return the SL and each position's TP, cleared of the stops level, or why not to trade.

    They are judged where the broker judges them: a pending order's entry, or the price a
    market order could close at (the bid for a buy).
    """
    sl = stop_loss(signal, settings, spec, entry.price)
    if isinstance(sl, Skip):
        return sl
    where = _judged_at(signal.side, entry, quote)
    notes: list[str] = []
    if sl is not None:
        cleared = clear_level(round_price(sl, spec), where, signal.side, protective=True, spec=spec)
        if cleared is None:
            return Skip(
                reason=Reason.SL_WRONG_SIDE,
                detail=f"SL {sl} is not {_beyond(signal.side)} {where}, where the order fills",
            )
        notes += _moved("SL", round_price(sl, spec), cleared, where, spec)
        sl = cleared
    every = take_profits(signal, spec, entry.price)
    if single:
        index, tp = single_leg(every, settings)
        chosen = [(index, tp)]
        notes.append(f"netting account: one position, with TP{index + 1} {tp or '(open)'}")
    else:
        chosen = list(enumerate(every[: settings.max_positions_per_signal])) or [(0, None)]
    tps = [_clear_tp(leg, tp, signal.side, where, spec, notes) for leg, tp in chosen]
    return Levels(sl=sl, tps=tuple(tps), notes=tuple(notes))


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


def near_edge(signal: Signal) -> Decimal | None:
    """Return the entry, or the zone edge price reaches first (a buy zone's top)."""
    if signal.entry_range is not None:
        low, high = signal.entry_range
        return high if signal.side is Side.BUY else low
    return signal.entry


def _clear_tp(
    leg: int, tp: Decimal | None, side: Side, where: Decimal, spec: SymbolSpec, notes: list[str]
) -> tuple[int, Decimal | None]:
    if tp is None:
        return leg, None
    rounded = round_price(tp, spec)
    cleared = clear_level(rounded, where, side, protective=False, spec=spec)
    notes += _moved(f"TP{leg + 1}", rounded, cleared, where, spec)
    return leg, rounded if cleared is None else cleared  # a TP already passed: the broker judges


def _moved(
    label: str, level: Decimal, cleared: Decimal | None, where: Decimal, spec: SymbolSpec
) -> list[str]:
    if cleared is None or cleared == level:
        return []
    return [
        f"{label} {level} moved to {cleared}: the broker's stops level keeps it "
        f"{stops_distance(spec)} from {where}"
    ]


def _weights(settings: TradeSettings, positions: int) -> list[Decimal]:
    # One weight per position: the configured split, padded with equal parts.
    weights = list(settings.tp_split[:positions])
    return weights + [Decimal(1)] * (positions - len(weights))


def _judged_at(side: Side, entry: Entry, quote: Quote) -> Decimal:
    # A market order is judged where it could be closed (bid for a buy), as MT5 does.
    if entry.order_type is OrderType.MARKET:
        return quote.price_for(side, closing=True)
    return entry.price


def _beyond(side: Side) -> str:
    return "below" if side is Side.BUY else "above"


def _in_zone(signal: Signal, market: Decimal) -> bool:
    if signal.entry_range is None:
        return True
    low, high = signal.entry_range
    return low <= market <= high
