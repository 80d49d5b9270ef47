"""Second readings of formats the first reading misses, kept only where they complete it.

"BTCUSD BUY 43 200 SL 42 800": a space groups a price's thousands. "XAUUSD SELL 163.40⏎❌
164.50⏎✅ 162.90": a tick or a money bag that opens a line of an opening marks a target. Each is
a rewrite of the text read again; the second reading replaces the first only when it agrees
with it on every signal's symbol and side and its new levels pass the scale checks, so a
misread can only turn back into the first reading, never into another trade.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from signal_copier.core.model import Parse, Signal
from signal_copier.core.parsing.numbers import near
from signal_copier.core.parsing.openings import AMBIGUOUS
from signal_copier.core.parsing.tokens import TABLE

Reader = Callable[[str], Parse]

# Groups of exactly three digits after one to three, apart by a space (a thin or no-break one
# too): "43 200", "1 234 567.5". Not "TP 1 2650" (four digits), "2650 2660", "TP1 200" (glued).
# Decimals after a point, or after a comma as French writes them ("2 650,50"): one or two
# digits, never before another spaced number ("2 650,2 660" is a list).
_GAP = "[ \u00a0\u2009\u202f]"  # a space, a no-break one, a thin one
_SPACED = re.compile(
    rf"(?<![\w.,])\d{{1,3}}(?:{_GAP}\d{{3}})+(?:\.\d+|,\d{{1,2}}(?!{_GAP}\d))?(?![\w]|[.,]\d)"
)
_SPACE = re.compile(_GAP)
# A tick or a money bag that opens a line or a "|" field, right before a price: "✅ 162.90",
# "💰💰 2640", "SELL 2650 | ⛔ 2660 | 💰 2640".
_TARGET_MARK = re.compile(r"(?m)(^|\|)([^\S\n]*)(?:[✅💰][\ufe0f]?[^\S\n]*)+(?=\d)")
_MARKS = ("✅", "💰")
_UNSOUND = ("_off_scale", "_wrong_side")  # flags a second reading may not bring
_METALS = frozenset({"xau", "xag"})
_TEN_THOUSAND = Decimal(10_000)  # "42 800": a head of two digits or more


def reread(text: str, first: Parse, read: Reader) -> Parse:
    """Return the reading of `text` that completes `first`, or `first` itself."""
    if any(mark in text for mark in _MARKS) and first.signals:
        found = _marked_targets(text, first, read)
        if found is not None:
            return found
    if " " in text or "\u00a0" in text or "\u2009" in text or "\u202f" in text:
        return _spaced_thousands(text, first, read)
    return first


def _marked_targets(text: str, first: Parse, read: Reader) -> Parse | None:
    # The ticked lines become "TP" lines; the signals must stay as they were but for more targets.
    marked = list(_TARGET_MARK.finditer(text))
    if not marked:
        return None
    second = read(_TARGET_MARK.sub(r"\1\2TP ", text))
    if len(second.signals) != len(first.signals):
        return None
    if not all(_more_targets(a, b) for a, b in zip(first.signals, second.signals, strict=True)):
        return None
    note = f"{len(marked)} price(s) marked ✅/💰 under the opening → targets"
    return replace(second, explain=(*second.explain, note))


def _more_targets(first: Signal, second: Signal) -> bool:
    same = (first.symbol, first.side, first.order_type, first.entry, first.entry_range, first.sl)
    if same != (
        second.symbol,
        second.side,
        second.order_type,
        second.entry,
        second.entry_range,
        second.sl,
    ):
        return False
    grown = len(second.tps) > len(first.tps) and second.tps[: len(first.tps)] == first.tps
    return grown and set(second.flags) <= set(first.flags)


def _spaced_thousands(text: str, first: Parse, read: Reader) -> Parse:
    # The joined reading when it is sound; else the first, unless a level of the first is the
    # short head of a spaced number ("43" of "43 200"): then a level is unsure, nothing is done.
    found = list(_SPACED.finditer(text))
    if not found:
        return first
    joined = {m.group(): Decimal(_joined_text(m.group())) for m in found}
    second = read(_SPACED.sub(lambda m: _joined_text(m.group()), text))
    sound = _joined_command if first.command is not None else _joined_signals
    if sound(set(joined.values()), first, second):
        notes = tuple(
            f'"{raw}" → {value} (a space groups its thousands)' for raw, value in joined.items()
        )
        return replace(second, explain=(*notes, *second.explain))
    # A head of three digits is a price of its own as often ("USDJPY 150 152", "SOL 145 150").
    heads = {Decimal(_SPACE.split(raw)[0]) for raw in joined if len(_SPACE.split(raw)[0]) < 3}
    if heads.isdisjoint(_all_levels(first)):
        return first
    note = f'"{next(iter(joined))}": a level may be one number spaced in groups or two numbers'
    return Parse(reason=AMBIGUOUS, explain=(*first.explain, note))


def _joined_text(raw: str) -> str:
    return _SPACE.sub("", raw).replace(",", ".")


def _joined_signals(values: set[Decimal], first: Parse, second: Parse) -> bool:
    # Every joined number must be read as a level of a sound signal, on the first reading's
    # instruments and sides: "Lot 1 000" or "TP 1 200" on a 2650 chart join nothing.
    if not second.signals or not _same_trades(first, second):
        return False
    if any(_currency_pair(signal.symbol) for signal in second.signals):
        return False  # a currency pair trades below 1000: "USDJPY 150 200" joins nothing
    if not values <= _all_levels(second) or not all(map(_close_knit, second.signals)):
        return False
    return not any(flag.endswith(_UNSOUND) for signal in second.signals for flag in signal.flags)


def _close_knit(signal: Signal) -> bool:
    # Two levels or more, each within a factor of two of the others: "SOL BUY 145 150 155"
    # joined is one entry of 145150155 that nothing checks.
    levels = _levels(signal)
    return len(levels) > 1 and all(near(level, min(levels)) for level in levels)


def _joined_command(values: set[Decimal], first: Parse, second: Parse) -> bool:
    # "Move SL to 42 800": the same command, its new levels the joined numbers. With no entry
    # to judge the scale by, a head of one digit may be a target's number ("TP 2 300"): never.
    old, new = first.command, second.command
    if old is None or new is None or min(values) < _TEN_THOUSAND:
        return False
    if (old.action, old.scope, old.symbol, old.side) != (
        new.action,
        new.scope,
        new.symbol,
        new.side,
    ):
        return False
    if new.symbol is not None and _currency_pair(new.symbol):
        return False
    return values <= _all_levels(second)


def _same_trades(first: Parse, second: Parse) -> bool:
    if not first.signals:
        return first.command is None  # a refused or unread message may become a signal
    return len(first.signals) == len(second.signals) and all(
        (a.symbol, a.side) == (b.symbol, b.side)
        for a, b in zip(first.signals, second.signals, strict=True)
    )


def _currency_pair(symbol: str) -> bool:
    # EURUSD, USDJPY: two fiat currencies, none of them quoted in thousands (gold is).
    base, quote = symbol[:3].lower(), symbol[3:].lower()
    fiat = TABLE.currencies - _METALS
    return len(symbol) == 6 and base in fiat and quote in fiat


def _all_levels(parse: Parse) -> set[Decimal]:
    found = {level for signal in parse.signals for level in _levels(signal)}
    command = parse.command
    if command is not None:
        found.update(command.tps)
        found.update(level for level in (command.sl, command.entry) if level is not None)
        found.update(command.entry_range or ())
    return found


def _levels(signal: Signal) -> list[Decimal]:
    found = list(signal.tps)
    if signal.entry is not None:
        found.append(signal.entry)
    if signal.entry_range is not None:
        found.extend(signal.entry_range)
    if signal.sl is not None:
        found.append(signal.sl)
    return found
