"""Posts about trades already given: progress, reminders, recaps and results open nothing.

A channel restates a signal to say how it is doing ("GOLD SELL 2650 SL 2660 TP 2630 running
+80 pips", "Floating +45 pips on GOLD SELL 2650", "Our gold sell at 2650 … Holding 💎"), to
remind ("⏰ REMINDER", "Repost for new members 👇"), to list what is open ("📌 Active trades:",
"Pending orders:"), to tell a trade to stay ("Hold gold buy, SL 2640") or how it ended ("💰 GOLD
SELL 2650 → 2630 💰"). Read as a signal, each would open the trade a second time, or open a market
order on a stop alone. A signal's own card words stay: "Floating (pips) +58" as a card field,
"TP3: hold", "activated" under a card (the signal is still offered).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from signal_copier.core.model import Parse, Signal

STATUS = "status"
RESULT = "result"

# How the trade is doing, in a line of its own or after the card: en, pt, es, it, id/ms, vi,
# hi (Latin), ru, tr. "Running" tells it before a figure or at a clause's end ("running +80
# pips", "Trade running ✅"), not as any verb ("running hot", "Running trades: 0").
_PROGRESS = re.compile(
    r"(?im)(?<!\w)(?:running(?=[^\S\n]*(?:[+\d]|in profit|$|[^\w\s]))|in (?:profit|the money)|"
    r"holding|"
    r"still (?:valid|running|open|active|alive|in)|(?:no|em) lucro|en (?:ganancia|beneficio)|"
    r"in profitto|(?:sedang )?berjalan|"
    r"đang (?:lãi|chạy)|chal raha|profit me|в плюсе|в профите|kârda|karda)(?!\w)"
)
# Before a progress word on its line, what makes it a plan's condition or an order's ("Move SL
# to BE 20 pips in profit"), not a report of how the trade is doing.
_PLAN = re.compile(
    r"(?i)(?<!\w)(?:when|once|if|after|as soon as|move|sl to|be|breakeven|break even|close)(?!\w)"
)
# A "+45 pips" gain beside "floating": a trade's running figure (a card's "Floating (pips) +58"
# field gives no pips after its figure).
_FLOATING = re.compile(r"(?i)(?<!\w)floating(?!\w)[^\n]*?\+\s?\d[\d.,]*\s?pips?(?!\w)")
# "TP3: running", "TP - running": a target left open, a word of the card.
_OPEN_TARGET = re.compile(r"(?i)(?<!\w)(?:tp|target)\s?\d?\W{0,3}running(?!\w)")
# A first line that heads a reminder, a re-post or a list of what is open.
_HEADER = re.compile(
    r"(?i)(?<!\w)(?:reminder|remind|re-?post(?:ed|ing)?|for (?:the )?new members|"
    r"(?:active|open|running|current) (?:trades|positions|signals)|pending orders|"
    r"trades? (?:recap|summary)|lembrete|recordatorio|напоминание)(?!\w)"
)
# A first line that points back at a signal of before: how it went follows.
_LOOKING_BACK = re.compile(r"(?i)(?<!\w)(?:remember this|throwback|flashback)(?!\w)")
# "Hold gold buy", "SL still 2660", "Segura a compra", "Tahan posisi", "pozisyonunu tutun",
# "نحتفظ بصفقة شراء الذهب" (we keep the gold buy):
# the trade is to stay as it is.
_HOLD = re.compile(
    r"(?i)(?<!\w)(?:hold|keep holding|still|segur[ae]|mantenha|mant[eé]n|tahan|tutun|"
    r"держим|держите|giữ|نگه|نحتفظ|احتفظ|احتفظوا)(?!\w)"
)
# "GOLD SELL 2650 → 2630": the entry and where the trade ended, with no stop or target.
_ENTRY_TO_EXIT = re.compile(r"\d[^\S\n]*(?:→|->|➡|⟶)[^\S\n]*\d")
# "+80 pips 🔥" after a card's last level on its line, outside brackets: the trade's progress
# ("TP 122.500 (+780 pips)" is the target's distance).
_TRAILING_GAIN = re.compile(
    r"(?im)(?:tp|target|take profit)\s?(?:\d(?=[\s:]))?\W{0,3}(\d[\d.,]*)"
    r"[^\S\n]+\+\s?(\d+)\s?pips?(?!\w)[^\w(\n]*$"
)
# Pip sizes a figure may be counted in: a target's distance from the entry in one of them is
# the target's own note ("TP 1.0900 +50 pips" under an entry of 1.0850), not a gain so far.
_PIP_SIZES = tuple(Decimal(10) ** exponent for exponent in range(-5, 2))
_SLACK = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class _Found:
    reason: str
    why: str


def checked(found: Parse, text: str) -> Parse:
    """Return `found`, or a refusal when its signals only restate trades already given."""
    if not found.signals:
        return found
    seen = _seen(text, found.signals)
    if seen is None:
        return found
    return Parse(reason=seen.reason, explain=(*found.explain, seen.why))


def _seen(text: str, signals: tuple[Signal, ...]) -> _Found | None:
    head = next((line for line in text.splitlines() if line.strip()), "")
    if _HEADER.search(head) and not any(ch.isdigit() for ch in head):
        return _Found(STATUS, f'"{head.strip()}" → a reminder or a list of trades given before')
    if _LOOKING_BACK.search(head):
        return _Found(RESULT, f'"{head.strip()}" → looks back at a signal given before')
    progress = _progress(text, signals[0].reference_price)
    if progress:
        return _Found(STATUS, f'"{progress}" → how an open trade is doing: no new trade')
    if all(_unpriced(signal) for signal in signals) and (hold := _HOLD.search(text)):
        return _Found(STATUS, f'"{hold.group()}" → the trade given before is to stay as it is')
    if all(_levelless(signal) for signal in signals) and _ENTRY_TO_EXIT.search(text):
        return _Found(RESULT, "a price → a price, with no stop or target: how a trade ended")
    return None


def _progress(text: str, entry: Decimal | None) -> str:
    found = _FLOATING.search(text)
    if found is not None:
        return found.group().strip()
    for gain in _TRAILING_GAIN.finditer(text):
        if entry is not None and not _distance(entry, gain.group(1), gain.group(2)):
            return gain.group().strip()
    for match in _PROGRESS.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if _PLAN.search(text, line_start, match.start()):
            continue  # "Move SL to BE when in profit +20 pips": a plan's condition
        if not _OPEN_TARGET.search(text, max(0, match.start() - 12), match.end()):
            return match.group()
    return ""


def _unpriced(signal: Signal) -> bool:
    # A stop and a side only: "Hold gold buy, SL 2640" would be a market order at any price.
    return signal.reference_price is None and not signal.tps and not signal.tp_open


def _levelless(signal: Signal) -> bool:
    return signal.sl is None and signal.sl_pips is None and not signal.tps


def _distance(entry: Decimal, level: str, pips: str) -> bool:
    # Whether the figure is the level's distance from the entry, in some pip size.
    try:
        gap, count = abs(Decimal(level.replace(",", "")) - entry), Decimal(pips)
    except InvalidOperation:
        return True  # not a figure read: nothing is said against the signal
    if not count:
        return True
    return any(abs(gap / size - count) <= count * _SLACK for size in _PIP_SIZES)
