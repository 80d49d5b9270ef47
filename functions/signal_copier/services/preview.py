"""What a sample signal would do on the user's account with the settings being edited.

Uses the same planning and sizing as the pipeline, on the account's balance, symbol spec and
quote, and sends nothing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from signal_copier.core import guards, ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.guards import Skip
from signal_copier.core.market import Quote, SymbolSpec
from signal_copier.core.model import Side, Signal
from signal_copier.core.parsing import parse
from signal_copier.core.planning import plan_orders
from signal_copier.core.settings import TradeSettings
from signal_copier.core.symbol_map import broker_symbol
from signal_copier.services import accounts
from signal_copier.services.deps import Deps

SAMPLE_SYMBOL = "XAUUSD"
_PREVIEW_INTENT = "0" * 32


def sample_signal(symbol: str, quote: Quote, spec: SymbolSpec) -> Signal:
    """Return a market buy at the ask with a 50-pip stop and three targets 50 pips apart."""
    step = spec.pip * 50
    return Signal(
        symbol=symbol,
        side=Side.BUY,
        sl=quote.ask - step,
        tps=(quote.ask + step, quote.ask + 2 * step, quote.ask + 3 * step),
    )


async def preview(
    deps: Deps, user_id: str, settings: TradeSettings, text: str | None, now: datetime
) -> dict[str, Any]:
    """Return the orders a sample signal (or `text`) would place, or why it would be skipped."""
    account = await accounts.connect_account(deps, user_id)
    info = await account.account_info()
    signal = _signal_from(text)
    canonical = signal.symbol if signal else SAMPLE_SYMBOL
    symbol = broker_symbol(canonical, await account.symbols(), settings.symbol_map)
    spec, quote = await account.symbol_spec(symbol), await account.quote(symbol)
    signal = signal or sample_signal(canonical, quote, spec)
    outcome = guards.check_signal(signal, settings, now) or plan_orders(
        intent_id=_PREVIEW_INTENT,
        client_id=ids.client_id(_PREVIEW_INTENT),
        signal=signal,
        settings=settings,
        spec=spec,
        quote=quote,
        balance=info.balance,
        broker_symbol=symbol,
    )
    result: dict[str, Any] = {
        "balance": str(info.balance),
        "currency": info.currency,
        "signal": _describe(signal),
        "quote": {"bid": str(quote.bid), "ask": str(quote.ask)},
    }
    if isinstance(outcome, Skip):
        return {**result, "skip": {"reason": str(outcome.reason), "detail": outcome.detail}}
    orders = [
        {
            "symbol": o.symbol,
            "side": str(o.side),
            "type": str(o.order_type),
            "volume": str(o.volume),
            "price": _text(o.price),
            "sl": _text(o.sl),
            "tp": _text(o.tp),
        }
        for o in outcome.orders
    ]
    total = sum((o.volume for o in outcome.orders), Decimal(0))
    return {**result, "orders": orders, "total_volume": str(total), "notes": list(outcome.notes)}


def _signal_from(text: str | None) -> Signal | None:
    if not text or not text.strip():
        return None
    parsed = parse(text)
    if not parsed.signals:
        why = parsed.reason or "no symbol, side and levels found"
        raise InvalidInput(f"text: this sample is not read as a signal ({why})")
    return parsed.signals[0]


def _describe(signal: Signal) -> str:
    levels = f"SL {signal.sl}" if signal.sl is not None else "no SL"
    targets = " ".join(f"TP{n} {tp}" for n, tp in enumerate(signal.tps, start=1))
    entry = f" @ {signal.entry}" if signal.entry is not None else ""
    return f"{signal.symbol} {signal.side.upper()}{entry}, {levels} {targets}".strip()


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
