"""Exits that cannot be prices: "XAUUSD BUY NOW SL $10 TP $20", "Gold buy now sl 40 tp 60".

A stop or a target written in money ("$10") is a distance from the entry or a sum to risk;
which one, and how many pips it makes, depends on the broker and the lot. Read as a price, the
stop of a gold buy at 2650 would sit at 10. Such a signal is refused with the reason, never
guessed. An instrument's floor (a price it has not traded under for over a decade) shows a
level that is no price: "Gold buy 2.650 SL 2.640" (thousands written with a point), "sl 40".
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from signal_copier.core.model import Parse, Signal
from signal_copier.core.parsing.numbers import near, price_like
from signal_copier.core.parsing.tokens import TABLE, Item

MONEY = "levels_in_money"
UNPLACED = "prices in the message that are neither its entry nor a stop or target: refused"
OFF_SCALE = "off_scale"

# "SL $10", "TP1: $20", "Stop loss = 10$", "Take profit 20 $".
_MONEY_EXIT = re.compile(
    r"(?i)(?<![a-z])(?:s\W?l|stop(?:\s*loss)?|t\W?p\s*\d?|take(?:\s*profit)?\s*\d?|target\s*\d?)"
    r"\s*[:=\-]?\s*(?:\$\s*(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*\$)"
)
# Prices these instruments have not traded under in years: a lower exit is no price of theirs.
_FLOORS = {
    "XAUUSD": Decimal(1000),
    "US30": Decimal(10000),
    "NAS100": Decimal(2000),
    "GER40": Decimal(5000),
    "US500": Decimal(1000),
    "UK100": Decimal(3000),
    "JP225": Decimal(7000),
    "BTCUSD": Decimal(1000),
}
_SLIP = 10  # an entry this many times under the floor is a slipped point, not a price
_SPREAD = Decimal("1.3")  # prices of one trade's exits lie within 30% of each other
_CRYPTO_QUOTES = ("USDT", "USDC", "BUSD")


def checked(found: Parse, text: str) -> Parse:
    """Return `found`, or a refusal when a level of one of its signals cannot be a price."""
    money = _money(text) if "$" in text else frozenset()
    for signal in found.signals:
        refused = _in_money(signal, money) or _under_floor(signal)
        if refused is not None:
            return Parse(reason=refused[0], explain=(*found.explain, refused[1]))
    return found


def in_money(found: Parse, text: str) -> Parse | None:
    """Return a refusal when a signal's exits are told in money ("SL $10 TP $20"), else None."""
    money = _money(text) if "$" in text else frozenset()
    for signal in found.signals if money else ():
        refused = _in_money(signal, money)
        if refused is not None:
            return Parse(reason=refused[0], explain=(*found.explain, refused[1]))
    return None


def _money(text: str) -> frozenset[Decimal]:
    found = set()
    for match in _MONEY_EXIT.finditer(text):
        try:
            found.add(Decimal(match.group(1) or match.group(2)))
        except InvalidOperation:
            continue
    return frozenset(found)


def _exits(signal: Signal) -> list[Decimal]:
    return [*((signal.sl,) if signal.sl is not None else ()), *signal.tps]


def _in_money(signal: Signal, money: frozenset[Decimal]) -> tuple[str, str] | None:
    exits = _exits(signal)
    marked = [level for level in exits if level in money]
    if not marked or _crypto(signal.symbol):
        return None
    if _not_prices(marked, exits, signal.reference_price, signal):
        return MONEY, f'"${marked[0]}": an exit in money (a distance or a sum), not a price'
    return None


def _under_floor(signal: Signal) -> tuple[str, str] | None:
    exits, reference = _exits(signal), signal.reference_price
    if not exits:
        return None
    # With an entry, an exit out of its scale is flagged where the signal is built; the entry
    # itself is no price a power of ten under the floor ("2.650": thousands with a point).
    floor = _FLOORS.get(signal.symbol)
    lowest = min(exits) if reference is None else reference
    if floor is not None and (lowest if reference is None else lowest * _SLIP) < floor:
        why = f"{lowest}: under any price {signal.symbol} trades at (a distance?): refused"
        return OFF_SCALE, why
    return None


def _not_prices(
    marked: list[Decimal], exits: list[Decimal], reference: Decimal | None, signal: Signal
) -> bool:
    if reference is not None:
        return not all(near(level, reference) for level in marked)
    floor = _FLOORS.get(signal.symbol)
    if floor is not None:
        return min(marked) < floor
    # No entry and no floor: prices of one trade lie close together, and a lone exit shows nothing.
    return len(exits) < 2 or max(exits) > min(exits) * _SPREAD


def _crypto(symbol: str) -> bool:
    if symbol.endswith(_CRYPTO_QUOTES):
        return True
    base = symbol.removesuffix("USD").lower()
    return base in TABLE.crypto


def unplaced(signal: Signal, items: list[Item]) -> bool:
    """Return True when a signal with no stop and no target leaves its exits unread.

    "Audnzd buy @ 1.0590⏎🔴1.05431⏎🔵1.06638" (prices of its scale), "BTC LONG NOW SL 2% TP 5%"
    (a stop label with nothing read): the exits are there, in a form not read; a trade with
    nothing to protect it is not what the channel sent.
    """
    if signal.sl is not None or signal.sl_pips is not None or signal.tps or signal.tp_pips:
        return False
    if any(item.kind == "sl" for item in items):
        return True
    reference = signal.reference_price
    if reference is None:
        return False
    read = {signal.entry, *(signal.entry_range or ())}
    return any(
        item.kind == "num"
        and not item.unit
        and item.value not in read
        and price_like(item.value, reference)
        for item in items
    )
