"""Scan normalized text into items: numbers with units, symbols, concepts and unknown words."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from signal_copier.core.parsing import lexicon, symbols
from signal_copier.core.parsing.normalize import normalize
from signal_copier.core.parsing.numbers import read_numbers

LEXICON = lexicon.load()
TABLE = symbols.load_table(LEXICON.symbols)
_KNOWN = LEXICON.words | frozenset(TABLE.aliases)
LABELS = frozenset({"sl", "tp", "entry"})
_NUMBERED = frozenset({"buy", "sell"})  # "Buy1 @ 0.9802", "Buy 2 @ 0.9770": an index
_ORDINAL = frozenset({"st", "nd", "rd", "th"})
_TIMEFRAME = frozenset({"m", "h", "w", "d", "mn", "min", "mins", "hr", "tf", "k"})
_GLUED_BEFORE = _TIMEFRAME | {"x"}
_GLUED_AFTER = _TIMEFRAME | _ORDINAL | {"x"}
_UNIT_CONCEPTS = ("pips", "time")


@dataclass(slots=True, eq=False)
class Item:
    """One meaningful piece of a message (kind is a lexicon concept, num, sym, w or nl)."""

    kind: str
    text: str
    value: Decimal = Decimal(0)
    raw: str = ""
    unit: str = ""  # num: pips, pct, ord, tf, lev, signed; label: its index ("1" in TP1)


@dataclass(slots=True)
class Scan:
    """The items of one message and message-wide facts."""

    items: list[Item] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # lower-case tokens, for reason keywords
    perpetual: bool = False
    question: bool = False
    asks: list[int] = field(default_factory=list)  # where each "?" stands among the items
    gain: bool = False  # a "+N pips" figure: a result, or a note on a level


_NEWLINE = Item("nl", "\n")
_LIST = Item("list", ",")

# How a token is read. Only SHARED tokens mean the same wherever they stand, so their one Item is
# reused (never changed: labels and bare crypto tickers, which scanning amends, are never SHARED).
_SHARED, _BREAK, _PHRASE_WORD, _PHRASE_MARK, _QUESTION, _SYMBOLISH = range(6)
_Reading = tuple[int, Item | None, lexicon.PhraseStart]


def _simple_words() -> dict[str, str]:
    # Words whose meaning needs no look-ahead: one-word phrases only, no symbol can start there.
    simple: dict[str, str] = {}
    for first, entries in LEXICON.concepts.items():
        one_word = all(len(phrase) == 1 for phrase, _ in entries)
        symbolish = first in TABLE.starts or first in TABLE.perp_markers or first in TABLE.aliases
        if one_word and not symbolish:
            simple[first] = entries[0][1]
    return simple


_SIMPLE = _simple_words()
_UNIT_STARTS = frozenset(
    first
    for first, entries in LEXICON.concepts.items()
    if any(value in _UNIT_CONCEPTS for _, value in entries)
)
_SIMPLE.update({mark: "" for mark in "@:-/_~&,;+%()[]{}=.!#$" if mark not in LEXICON.concepts})
_UNIT_NEXT = _UNIT_STARTS | {"%", ":"}  # unglued words after a number that can be its unit
_UNIT_AFTER = _UNIT_NEXT | _GLUED_AFTER  # any word after a number that can be its unit ("pip…" too)
_PHRASES = lexicon.phrase_starts(LEXICON.concepts)
_NO_PHRASE: lexicon.PhraseStart = (frozenset(), None)
_READINGS_LIMIT = 50_000
_READINGS: dict[str, _Reading] = {"\n": (_BREAK, None, _NO_PHRASE)}  # raw token → reading (memo)


def _read_token(raw: str, word: str) -> tuple[int, Item | None]:
    is_word = raw[0].isalnum()
    simple = _SIMPLE.get(word)
    if simple in LABELS:
        return _PHRASE_WORD if is_word else _PHRASE_MARK, None
    if simple is not None:
        kind = simple or ("w" if is_word else "")
        return _SHARED, Item(kind, raw) if kind else None
    if is_word and symbols.may_start(word, TABLE):
        if word in TABLE.contextual or word in TABLE.perp_markers:
            return _SYMBOLISH, None
        found = symbols.read_symbol([word], [raw], [" "], 0, TABLE)
        if found is not None and not found[0].endswith("USDT"):
            return _SHARED, Item("sym", raw, raw=found[0])  # "gold", "EURUSD": the same anywhere
        if found is not None:
            return _SYMBOLISH, None  # a USDT pair: also marks the message as perpetual futures
    if word in LEXICON.concepts:
        return _PHRASE_WORD if is_word else _PHRASE_MARK, None
    if is_word:
        return _SHARED, Item("w", raw)
    return (_QUESTION if raw == "?" else _SHARED), None


def _reading(raw: str, word: str) -> _Reading:
    how, item = _read_token(raw, word)
    found = how, item, _PHRASES.get(word, _NO_PHRASE)
    if len(_READINGS) < _READINGS_LIMIT:
        _READINGS[raw] = found
    return found


class _Scanner:
    def __init__(self, text: str) -> None:
        norm = normalize(text, _known)
        parts = (lexicon.ASCII_TOKEN if norm.isascii() else lexicon.TOKEN).split(norm)
        self.raws: list[str] = parts[1::2]
        self.words: list[str] = list(map(str.lower, self.raws))
        # The text skipped before each token: none when it is glued to the token before it.
        self.gaps: list[str] = parts[:-1:2]
        if self.gaps:
            self.gaps[0] = " "  # the first token is glued to nothing
        self.scan = Scan(words=self.words)
        self.symbols: list[Item] = []

    def run(self) -> Scan:
        raws, items, known = self.raws, self.scan.items, _READINGS.get
        append, at, count = items.append, 0, len(raws)
        while at < count:
            raw = raws[at]
            reading = known(raw)
            if reading is None:
                if raw[0].isdecimal():
                    at = self._number(at, raw)
                    continue
                reading = _reading(raw, self.words[at])
            how, item, phrase = reading
            if how == _SHARED:
                if item is not None:
                    append(item)
            elif how == _BREAK:
                if items and items[-1] is not _NEWLINE:
                    append(_NEWLINE)
            else:
                at = self._word(at, how, phrase)
                continue
            at += 1
        for item in self.symbols:
            item.raw = symbols.settle_crypto(item.raw, self.scan.perpetual)
        return self.scan

    def _word(self, at: int, how: int, phrase: lexicon.PhraseStart) -> int:
        if how == _SYMBOLISH:
            span = self._symbol(at)
            if span:
                return at + span
        seconds, concept = phrase  # "?" begins no phrase
        words = self.words
        if seconds and at + 1 < len(words) and words[at + 1] in seconds:
            concept = lexicon.match(LEXICON.concepts, words, at)
        if concept is not None:
            kind, span = concept
            text = self.raws[at] if span == 1 else " ".join(self.raws[at : at + span])
            self.scan.items.append(Item(kind, text))
            return at + span
        if how in (_SYMBOLISH, _PHRASE_WORD):
            self.scan.items.append(Item("w", self.raws[at]))
        if how == _QUESTION:
            self.scan.question = True
            self.scan.asks.append(len(self.scan.items))
        return at + 1  # other punctuation carries no meaning once joiners are known

    def _symbol(self, at: int) -> int:
        found = symbols.read_symbol(self.words, self.raws, self.gaps, at, TABLE)
        if not found:
            self.scan.perpetual |= self.words[at] in TABLE.perp_markers
            return 0
        name, span = found
        self.scan.perpetual |= name.endswith("USDT")
        self.symbols.append(Item("sym", " ".join(self.raws[at : at + span]), raw=name))
        self.scan.items.append(self.symbols[-1])
        return span

    def _number(self, at: int, raw: str) -> int:
        items, gaps = self.scan.items, self.gaps
        if items and len(raw) <= 2 and raw.isdigit():
            previous = items[-1]
            if previous.kind in LABELS and not previous.unit and not gaps[at]:
                previous.unit = raw  # "TP1": an index, not a price
                return at + 1
            if previous.kind in _NUMBERED:
                return at + 1
        values = read_numbers(raw)
        if values is None:
            items.append(Item("date", raw))
            return at + 1
        words, nxt = self.words, at + 1
        after = words[nxt] if nxt < len(words) else ""
        # A unit is glued to the number, or a word that may stand apart ("15 pips", "2 %").
        if not gaps[at] or (
            (after in _UNIT_AFTER or after[:3] == "pip") and (not gaps[nxt] or after in _UNIT_NEXT)
        ):
            unit, nxt = self._unit(at)
            self.scan.perpetual |= unit == "lev"
            self.scan.gain |= unit == "pips" and at > 0 and words[at - 1] == "+"
        else:  # the common case: no unit word next ("⏎", "-", "sl")
            unit = "signed" if at and words[at - 1] == "+" else ""
        items.append(Item("num", raw, values[0], raw, unit))
        if len(values) > 1:
            for value in values[1:]:
                items.append(_LIST)
                items.append(Item("num", raw, value, raw, unit))
        return nxt

    def _unit(self, at: int) -> tuple[str, int]:
        words, gaps = self.words, self.gaps
        before = words[at - 1] if at else ""
        if at and not gaps[at] and before in _GLUED_BEFORE:
            return ("lev" if before == "x" else "tf"), at + 1
        nxt = at + 1
        if nxt >= len(words):
            return ("signed" if before == "+" else ""), nxt
        after = words[nxt]
        if after not in _UNIT_AFTER and after[:3] != "pip":  # the common case: "⏎", "-", "sl"
            return ("signed" if before == "+" else ""), nxt
        concept = lexicon.match(LEXICON.concepts, words, nxt) if after in _UNIT_STARTS else None
        name, span = concept or ("", 1)
        if name == "pips" or (after[:3] == "pip" and not gaps[nxt]):
            return "pips", nxt + span
        if after == "%":
            return "pct", nxt + 1
        if not gaps[nxt] and after in _GLUED_AFTER:
            return ("lev" if after == "x" else "ord" if after in _ORDINAL else "tf"), nxt + 1
        if name == "time":
            return "tf", nxt + span
        if after == ":" and self._clock(nxt):
            return "tf", nxt + 2
        return ("signed" if before == "+" else ""), nxt

    def _clock(self, colon: int) -> bool:
        # "15:29" or "20:31:32": a time of day, not a level.
        following = colon + 1
        return (
            following < len(self.raws)
            and not self.gaps[colon]
            and not self.gaps[following]
            and self.raws[following].isdecimal()
            and len(self.raws[following]) == 2
        )


def _known(word: str) -> bool:
    return word in _KNOWN


def scan(text: str) -> Scan:
    """Return the items of `text` in reading order."""
    return _Scanner(text).run()
