"""Guards: refuse stale, inconsistent or dangerous signals with a reason the user sees."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal
from itertools import pairwise

from signal_copier.core.market import Quote, SymbolSpec
from signal_copier.core.model import Signal
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import TradeSettings
from signal_copier.core.symbol_map import allowed
from signal_copier.core.typos import meant_stop

SLIP_LOG10 = Decimal("0.5")  # a price ≥ ~3.2× or ≤ ~0.32× the quote is a decimal slip, not a move
# Ratios strictly between these are well inside 10^±0.5 (|log10| < 0.4997): no logarithm needed.
_NEAR = (Decimal("0.32"), Decimal("3.16"))


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """A guard's refusal: a short reason and a sentence for the user."""

    reason: Reason
    detail: str


def check_age(message_date: datetime, now: datetime, max_age_s: int) -> Skip | None:
    """Refuse a signal older than the user's maximum age."""
    age = (now - message_date).total_seconds()
    if age > max_age_s:
        return Skip(
            reason=Reason.STALE_SIGNAL, detail=f"signal is {age:.0f}s old (max {max_age_s}s)"
        )
    return None


def check_signal(signal: Signal, settings: TradeSettings, now: datetime) -> Skip | None:
    """Refuse what is wrong before asking the broker: flags, symbol list, trading hours."""
    slipped = [flag for flag in signal.flags if flag.endswith("_off_scale")]
    if slipped:
        level = slipped[0].removesuffix("_off_scale").upper()
        return Skip(
            reason=Reason.PRICE_DECIMAL_SLIP,
            detail=f"the {level} is a power of ten away from the other levels (a typo?)",
        )
    if "sl_wrong_side" in signal.flags:
        return Skip(
            reason=Reason.SL_WRONG_SIDE, detail=f"SL {signal.sl} is on the wrong side of entry"
        )
    if "tps_out_of_order" in signal.flags or not tps_in_order(signal):
        return Skip(reason=Reason.TPS_OUT_OF_ORDER, detail="take-profits are not in order")
    if settings.allowed_symbols and not allowed(signal.symbol, settings.allowed_symbols):
        return Skip(reason=Reason.SYMBOL_NOT_ALLOWED, detail=f"{signal.symbol} is not in your list")
    if settings.trading_hours and not in_hours(settings.trading_hours, now):
        return Skip(
            reason=Reason.OUTSIDE_TRADING_HOURS, detail=f"outside {settings.trading_hours} UTC"
        )
    return None


def tps_in_order(signal: Signal) -> bool:
    """Return whether TPs run away from the entry in the trade's direction, in order."""
    levels = list(signal.tps)
    reference = signal.reference_price
    if reference is not None:
        levels.insert(0, reference)
    steps = [(b - a) * signal.side.sign for a, b in pairwise(levels)]
    return all(step > 0 for step in steps)


def in_hours(window: str, now: datetime) -> bool:
    """Return whether `now` (UTC) falls in an "HH:MM-HH:MM" window, which may wrap midnight."""
    start, end = (time.fromisoformat(part) for part in window.split("-"))
    current = now.astimezone(UTC).time()
    if start <= end:
        return start <= current < end
    return current >= start or current < end


def check_market(
    signal: Signal, quote: Quote, spec: SymbolSpec, settings: TradeSettings
) -> Skip | None:
    """Refuse a signal that makes no sense at the current price.

    Whether the SL protects is judged when planning, where the entry is known: a pending
    order's SL against its entry, a market order's against the price it closes at.
    """
    market = quote.price_for(signal.side)
    for label, price in _levels(signal):
        if slipped(price, market):
            return Skip(
                reason=Reason.PRICE_DECIMAL_SLIP,
                detail=f"{label} {price} is a power of ten away from the price {market}",
            )
    meant = meant_stop(signal, signal.reference_price or market)
    if meant is not None:
        return Skip(
            reason=Reason.PRICE_TYPO,
            detail=f"SL {signal.sl} lies far beyond every target, where {meant} would fit: "
            "a typo? (not copied; an edit that fixes it is)",
        )
    if settings.max_spread_pips is not None:
        spread_pips = quote.spread / spec.pip
        if spread_pips > settings.max_spread_pips:
            return Skip(
                reason=Reason.SPREAD_TOO_WIDE,
                detail=f"spread {spread_pips:.1f} pips > {settings.max_spread_pips}",
            )
    return None


def check_open_trades(open_count: int, settings: TradeSettings) -> Skip | None:
    """Refuse a new trade when the user's maximum of open copier trades is reached."""
    if settings.max_open_trades is not None and open_count >= settings.max_open_trades:
        return Skip(reason=Reason.MAX_OPEN_TRADES, detail=f"{open_count} trades open already")
    return None


def _levels(signal: Signal) -> list[tuple[str, Decimal]]:
    levels = [("entry", p) for p in (signal.entry_range or ()) if p > 0]
    if signal.entry is not None:
        levels.append(("entry", signal.entry))
    if signal.sl is not None:
        levels.append(("SL", signal.sl))
    levels += [(f"TP{i + 1}", tp) for i, tp in enumerate(signal.tps)]
    return levels


def slipped(price: Decimal, reference: Decimal) -> bool:
    """Return whether a price is a power of ten (or more) away from a reference price."""
    if price <= 0 or reference <= 0:
        return True
    ratio = price / reference
    if _NEAR[0] < ratio < _NEAR[1]:
        return False
    return abs(ratio.log10()) >= SLIP_LOG10  # in Decimal: no float overflow


NO_BROKER_DETAIL = "no broker account is connected: connect one to copy again"


def check_user(
    active: bool, paused_reason: Reason, paused_until: datetime | None, now: datetime
) -> Skip | None:
    """Refuse when the user stopped copying or is paused (kill switch, loss limit, breaker,
    a removed broker account)."""
    if not active:
        return Skip(reason=Reason.COPYING_STOPPED, detail="copying is stopped for this account")
    if paused_reason == Reason.BROKER_NOT_CONNECTED:
        return Skip(reason=paused_reason, detail=NO_BROKER_DETAIL)
    if paused_reason and (paused_until is None or now < paused_until):
        until = f" until {paused_until.isoformat()}" if paused_until else ""
        return Skip(reason=paused_reason, detail=f"copying is paused ({paused_reason}){until}")
    return None


def check_killed(killed_at: datetime | None, received: datetime) -> Skip | None:
    """Refuse a signal that arrived before the kill switch was last pressed (even if resumed)."""
    if killed_at is not None and killed_at >= received:
        return Skip(
            reason=Reason.KILL_SWITCH,
            detail="the kill switch was pressed after this signal arrived",
        )
    return None


def check_daily_loss(realised_today: Decimal, limit: Decimal | None) -> Skip | None:
    """Refuse once today's realised loss reaches the user's daily loss limit."""
    if limit is not None and realised_today <= -limit:
        return Skip(
            reason=Reason.DAILY_LOSS_LIMIT,
            detail=f"today's loss {-realised_today} reached the limit {limit}",
        )
    return None
