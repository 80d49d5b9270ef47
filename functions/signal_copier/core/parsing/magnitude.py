"""Levels on the instrument's own scale: "BTC LONG 65.000" is 65000, "EURUSD SELL 10850" is none.

A point that groups thousands ("65.000", "2.650", "39.250") or a comma that writes decimals
("USDJPY BUY 149,500") reads the whole signal a thousand times off, and every level agrees with
every other, so nothing relative flags it. Where the instrument has a known range (major
currency pairs, metals, main indices, BTC and ETH), a signal with a level ten times outside it
is read again with those separators the other way, kept only when every level then lies inside;
otherwise it is refused (unless a flag the guard refuses it by marks it already), never opened
off its scale.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal

from signal_copier.core.model import Parse, Signal
from signal_copier.core.parsing.scale import OFF_SCALE

Reader = Callable[[str], Parse]

_D = Decimal
# Prices these trade between, wide on purpose (years of range either way).
_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "XAUUSD": (_D(800), _D(20000)),
    "XAGUSD": (_D(5), _D(500)),
    "US30": (_D(10000), _D(200000)),
    "NAS100": (_D(2000), _D(100000)),
    "US500": (_D(1000), _D(30000)),
    "GER40": (_D(5000), _D(100000)),
    "UK100": (_D(3000), _D(30000)),
    "JP225": (_D(7000), _D(200000)),
    "BTCUSD": (_D(1000), _D(5000000)),
    "ETHUSD": (_D(50), _D(200000)),
}
# Pairs of these currencies trade between 0.3 and 3; against the yen, between 40 and 400.
_MAJORS = frozenset({"EUR", "USD", "GBP", "AUD", "NZD", "CAD", "CHF"})
_PAIR = (_D("0.3"), _D(3))
_YEN = (_D(40), _D(400))
_STABLE = ("USDT", "USDC")
_ONE = Decimal(1)
_SLACK = Decimal(10)
_REFUSED = ("_off_scale", "_wrong_side", "_out_of_order")  # flags the guard refuses
# "65.000", "2.650", "39.250", "18.450": a point before groups of three digits.
_DOTTED = re.compile(r"(?<![\d.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\d.,])")  # not "0.010" (a lot)
# "149,500", "1,0850" written with a comma for the decimal point.
_COMMA = re.compile(r"(?<![\d.,])\d{1,3},\d{3}(?![\d.,])")


def checked(found: Parse, text: str, read: Reader) -> Parse:
    """Return `found`, read again on the instruments' scale, or refused when off it."""
    if not found.signals:
        return found
    outside = [signal for signal in found.signals if _far_outside(signal)]
    if not outside:
        return found
    again = _reread(found, text, read)
    if again is not None:
        return again
    if all(map(_flagged, outside)):
        return found  # each flagged already: the guard refuses it, and the reading shows
    signal = outside[0]
    why = f"{signal.symbol} levels {_shown(signal)}: off the prices it trades at, refused"
    return Parse(reason=OFF_SCALE, explain=(*found.explain, why))


def _reread(found: Parse, text: str, read: Reader) -> Parse | None:
    for pattern, joined in ((_DOTTED, _undotted), (_COMMA, _decimal_comma)):
        if pattern.search(text) is None:
            continue
        second = read(pattern.sub(joined, text))
        if _same(found, second) and not any(map(_outside, second.signals)):
            note = "separators read on the instrument's scale (a point groups thousands)"
            return Parse(signals=second.signals, explain=(*second.explain, note))
    return None


def _flagged(signal: Signal) -> bool:
    # "AUDUSD buy 6.6000 sl 0.6550": a level a power of ten off the others is flagged already.
    return any(flag.endswith(_REFUSED) for flag in signal.flags)


def _undotted(match: re.Match[str]) -> str:
    return match.group().replace(".", "")


def _decimal_comma(match: re.Match[str]) -> str:
    return match.group().replace(",", ".")


def _same(first: Parse, second: Parse) -> bool:
    return len(first.signals) == len(second.signals) and all(
        (a.symbol, a.side, a.lot, a.risk_percent) == (b.symbol, b.side, b.lot, b.risk_percent)
        for a, b in zip(first.signals, second.signals, strict=True)  # only the levels change
    )


def _outside(signal: Signal, slack: Decimal = _ONE) -> bool:
    # A level outside the range (widened `slack` times either way).
    bounds = _bounds(signal.symbol)
    if bounds is None:
        return False
    low, high = bounds[0] / slack, bounds[1] * slack
    return any(not low <= level <= high for level in _levels(signal))


def _far_outside(signal: Signal) -> bool:
    # Ten times past the range: a separator read the wrong way, not an odd broker's quote
    # ("XAUUSD SELL 163.40" from a channel that quotes so is kept as written).
    return _outside(signal, _SLACK)


def _bounds(symbol: str) -> tuple[Decimal, Decimal] | None:
    for stable in _STABLE:
        if symbol.endswith(stable):
            symbol = symbol.removesuffix(stable) + "USD"  # BTCUSDT is BTCUSD's scale
    found = _RANGES.get(symbol)
    if found is not None or len(symbol) != 6:
        return found
    base, quote = symbol[:3], symbol[3:]
    if base in _MAJORS and quote in _MAJORS:
        return _PAIR
    return _YEN if base in _MAJORS and quote == "JPY" else None


def _levels(signal: Signal) -> list[Decimal]:
    found = [*signal.tps, *(signal.entry_range or ())]
    found.extend(level for level in (signal.entry, signal.sl) if level is not None)
    return found


def _shown(signal: Signal) -> str:
    return ", ".join(str(level) for level in _levels(signal)[:4])
