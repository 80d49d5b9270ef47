"""An opening's SL and TPs: from the signal, its pips or the default, cleared of the stops level.

They are judged where the broker judges them: a pending order's against its entry, a market
order's against the price it could close at (the bid for a buy).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from signal_copier.core.guards import Skip
from signal_copier.core.market import Quote, SymbolSpec
from signal_copier.core.model import OrderType, Side, Signal
from signal_copier.core.netting import single_leg
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import NoStopLoss, TradeSettings
from signal_copier.core.stops import clear_level, round_price, stops_distance


@dataclass(frozen=True, slots=True, kw_only=True)
class Levels:
    """The SL of every position, each position's TP, and notes on levels moved."""

    sl: Decimal | None
    tps: tuple[tuple[int, Decimal | None], ...]  # (leg = TP index, TP) for each position
    notes: tuple[str, ...]


def plan_levels(
    signal: Signal,
    settings: TradeSettings,
    spec: SymbolSpec,
    quote: Quote,
    entry: tuple[OrderType, Decimal],
    *,
    single: bool = False,
) -> Levels | Skip:
    """Return the SL and each position's TP for an entry (type, price), or why not to trade.

    `single` plans the one position of a netting account, with the TP the settings choose.
    """
    order_type, price = entry
    sl = stop_loss(signal, settings, spec, price)
    if isinstance(sl, Skip):
        return sl
    where = (
        price if order_type is not OrderType.MARKET else quote.price_for(signal.side, closing=True)
    )
    notes: list[str] = []
    if sl is not None:
        rounded = round_price(sl, spec)
        cleared = clear_level(rounded, where, signal.side, protective=True, spec=spec)
        if cleared is None:
            below = "below" if signal.side is Side.BUY else "above"
            return Skip(
                reason=Reason.SL_WRONG_SIDE,
                detail=f"SL {sl} is not {below} {where}, where the order fills",
            )
        notes += _moved("SL", rounded, cleared, where, spec)
        sl = cleared
    every = take_profits(signal, spec, price)
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


def in_prices(signal: Signal, entry: Decimal, spec: SymbolSpec) -> Signal:
    """Return `signal` with an SL and TPs written in pips turned into prices from `entry`."""
    if signal.sl_pips is None and not signal.tp_pips:
        return signal
    sl = signal.sl
    if sl is None and signal.sl_pips is not None:
        sl = entry - signal.side.sign * signal.sl_pips * spec.pip
    tps = tuple(tp for tp in take_profits(signal, spec, entry) if tp is not None)
    return replace(signal, sl=sl, tps=tps, sl_pips=None, tp_pips=())


def calls_now(signal: Signal) -> bool:
    """Return whether a signal says to trade now (its entry waits only if the price ran off).

    Such an entry waits as a limit (far_entry=limit) for a pull-back to the called price; once
    the price reaches the first target, the move the channel called is over. A limit or stop
    order, or a card that does not say "now", is meant to wait wherever the price goes.
    """
    return signal.order_type is OrderType.MARKET and not signal.order_type_implicit


def target_passed(signal: Signal, spec: SymbolSpec, quote: Quote, entry: Decimal) -> Decimal | None:
    """Return the TP1 of a call to trade now when the price is at or past it, else None."""
    if not calls_now(signal):
        return None
    first = next(iter(take_profits(signal, spec, entry)), None)
    closing = quote.price_for(signal.side, closing=True)
    if first is None or (closing - first) * signal.side.sign < 0:
        return None
    return first


def take_profits(signal: Signal, spec: SymbolSpec, entry: Decimal) -> list[Decimal | None]:
    """Return one TP per position: prices, from pips, plus an open runner; [] if none given."""
    tps: list[Decimal | None] = list(signal.tps)
    if not tps:
        tps = [entry + signal.side.sign * pips * spec.pip for pips in signal.tp_pips]
    if signal.tp_open:
        tps.append(None)
    return tps


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
