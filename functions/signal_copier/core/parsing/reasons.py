"""Say why a message that opens nothing and commands nothing was skipped."""

from __future__ import annotations

from signal_copier.core.parsing import lexicon
from signal_copier.core.parsing.tokens import LEXICON, Scan

_LONG_TEXT = 60  # words: a paragraph rather than a trading call
_SHORT = 8  # words: a one-line instruction
_SIDE_KINDS = frozenset({"buy", "sell", "buy_weak", "sell_weak"})
_CHEERS = frozenset({"result", "chatter"})


def _hits(words: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}  # a dict, not a Counter: a Counter costs a Python __init__
    index = LEXICON.reasons
    if index.keys().isdisjoint(words):
        return found  # no word starts a reason's phrase: most short messages, decided in C
    resume = 0
    for at, word in enumerate(words):
        if at >= resume and word in index:
            hit = lexicon.match(index, words, at)
            if hit:
                found[hit[0]] = found.get(hit[0], 0) + 1
                resume = at + hit[1]  # phrases do not overlap
    return found


def sells(scan: Scan) -> bool:
    """Return whether the words advertise (seats, VIP, a discount): they are no trade's words."""
    return "promotion" in _hits(scan.words)


def cheers(words: list[str]) -> bool:
    """Return whether each word is a result's or a greeting's ("Congrats", "Bravo", "Boom")."""
    index = LEXICON.reasons
    for word in words:
        hit = lexicon.match(index, [word], 0) if word in index else None
        if hit is None or hit[0] not in _CHEERS:
            return False
    return bool(words)


def warns(words: list[str]) -> bool:
    """Return whether the words name a market event ("NFP in 10 minutes", "FOMC today")."""
    return "news" in _hits(words)


def classify(scan: Scan) -> str:
    """Return result, news, analysis, promotion, status, rule, commentary or chatter."""
    hits = _hits(scan.words)
    kinds = {item.kind for item in scan.items}
    wordy = sum(map(str.isalpha, scan.words)) > _LONG_TEXT
    if "veto" in kinds:
        return "analysis"
    if "protect" in kinds and len(scan.words) <= _SHORT:
        return "ambiguous"  # "Secure profits": close them, or move the stop? Neither is done.
    if hits.get("status") and len(scan.words) <= 6:
        return "status"
    if hits.get("result") and not wordy:
        return "result"
    for reason in ("promotion", "analysis", "news", "rule"):
        if hits.get(reason, 0) >= (2 if wordy and reason == "analysis" else 1):
            return reason
    if wordy:
        return "news"
    if "sym" in kinds or kinds & _SIDE_KINDS:
        return "commentary"
    return "chatter"
