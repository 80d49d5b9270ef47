"""A stop that reads as a typo: far beyond every target, and one slip of a finger from fitting.

"XAUUSD BUY 2650 SL 2460 TP 2660" risks 190 for a 10 target; "2640" was meant. Copied as
written, a fixed lot loses nineteen times what the channel meant to risk. A stop is refused as a
typo only when both hold: it lies more than TYPO_RATIO times the furthest target's distance from
the entry, and swapping two neighbouring digits, or changing one, gives a stop on the same side
within FITTING_RATIO times that distance. A wide stop that no slip explains is copied as written.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from itertools import pairwise

from signal_copier.core.model import Side, Signal

TYPO_RATIO = Decimal(10)
FITTING_RATIO = Decimal(3)


def meant_stop(signal: Signal, reference: Decimal) -> Decimal | None:
    """Return the stop a typo'd one was likely meant to be, or None when it reads as written."""
    if signal.sl is None:
        return None
    return meant_level(signal.sl, reference, signal.side, signal.tps)


def meant_level(
    sl: Decimal, reference: Decimal, side: Side, targets: Iterable[Decimal]
) -> Decimal | None:
    """Return the stop `sl` was likely meant to be for a trade at `reference`, or None.

    As an opening's stop is judged against its targets, a stop a follow-up or an edit sets on a
    position or order is judged against that trade's targets.
    """
    sign = side.sign
    reward = max(((tp - reference) * sign for tp in targets), default=Decimal(0))
    risk = (reference - sl) * sign
    if reward <= 0 or risk <= TYPO_RATIO * reward:
        return None
    fitting = [c for c in _slips(sl) if 0 < (reference - c) * sign <= FITTING_RATIO * reward]
    return min(fitting, key=lambda c: abs(c - sl)) if fitting else None


def _slips(price: Decimal) -> set[Decimal]:
    # Every price one transposition of neighbouring digits, or one changed digit, away.
    text = format(price, "f")
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    found = {
        text[:a] + text[b] + text[a] + text[b + 1 :]
        for a, b in pairwise(digits)
        if b == a + 1 and text[a] != text[b]
    }
    for i in digits:
        found.update(text[:i] + d + text[i + 1 :] for d in "0123456789" if d != text[i])
    return {Decimal(candidate) for candidate in found}  # digits and a point: always a number
