"""Say why a message that opens nothing and commands nothing was skipped."""

from __future__ import annotations

from collections import Counter

from signal_copier.core.parsing import lexicon
from signal_copier.core.parsing.tokens import LEXICON, Scan

_LONG_TEXT = 60  # words: a paragraph rather than a trading call
_SHORT = 8  # words: a one-line instruction
_SIDE_KINDS = frozenset({"buy", "sell", "buy_weak", "sell_weak"})


def _hits(words: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    index, at = LEXICON.reasons, 0
    while at < len(words):
        hit = lexicon.match(index, words, at) if words[at] in index else None
        if hit:
            found[hit[0]] += 1
            at += hit[1]
        else:
            at += 1
    return found


def classify(scan: Scan) -> str:
    """Return result, news, analysis, promotion, status, rule, commentary or chatter."""
    hits = _hits(scan.words)
    kinds = {item.kind for item in scan.items}
    wordy = sum(map(str.isalpha, scan.words)) > _LONG_TEXT
    if "veto" in kinds:
        return "analysis"
    if "protect" in kinds and len(scan.words) <= _SHORT:
        return "ambiguous"  # "Secure profits": close them, or move the stop? Neither is done.
    if hits["status"] and len(scan.words) <= 6:
        return "status"
    if hits["result"] and not wordy:
        return "result"
    for reason in ("promotion", "analysis", "news", "rule"):
        if hits[reason] >= (2 if wordy and reason == "analysis" else 1):
            return reason
    if wordy:
        return "news"
    if "sym" in kinds or kinds & _SIDE_KINDS:
        return "commentary"
    return "chatter"
