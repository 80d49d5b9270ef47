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


@dataclass(slots=True, eq=False)
class Item:
    """One meaningful piece of a message (kind is a lexicon concept, num, sym, w, p or nl)."""

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


_NEWLINE = Item("nl", "\n")


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
_SIMPLE.update({mark: "" for mark in "@:-/_~&,;+%()[]{}=.!#$" if mark not in LEXICON.concepts})
_PLAIN_LIMIT = 50_000
_PLAIN: set[str] = set()  # words seen to be neither keyword nor symbol (a bounded memo)


def _plain_word(words: list[str], glued: list[bool], at: int) -> bool:
    word = words[at]
    if word in _PLAIN and not (at + 1 < len(words) and glued[at + 1]):
        return True
    if word in TABLE.perp_markers or not symbols.cannot_start(words, glued, at, TABLE):
        return False
    if len(_PLAIN) < _PLAIN_LIMIT:
        _PLAIN.add(word)
    return True  # shared: newline items are never changed


def _known(word: str) -> bool:
    return word in _KNOWN


class _Scanner:
    def __init__(self, text: str) -> None:
        norm = normalize(text, _known)
        self.toks = [
            (m.lastgroup or "", m.group(), *m.span()) for m in lexicon.TOKEN.finditer(norm)
        ]
        self.words = [tok[1].lower() for tok in self.toks]
        self.raws = [tok[1] for tok in self.toks]
        self.glued = [i > 0 and tok[2] == self.toks[i - 1][3] for i, tok in enumerate(self.toks)]
        self.scan = Scan(words=self.words)
        self.symbols: list[Item] = []

    def run(self) -> Scan:
        at, count = 0, len(self.toks)
        while at < count:
            kind = self.toks[at][0]
            if kind == "num":
                at = self._number(at)
            elif kind == "nl":
                if self.scan.items and self.scan.items[-1].kind != "nl":
                    self.scan.items.append(_NEWLINE)
                at += 1
            else:
                at = self._word(at, kind)
        for item in self.symbols:
            item.raw = symbols.settle_crypto(item.raw, self.scan.perpetual)
        return self.scan

    def _word(self, at: int, kind: str) -> int:
        word = self.words[at]
        simple = _SIMPLE.get(word)
        if simple is not None:
            if simple:
                self.scan.items.append(Item(simple, self.raws[at]))
            elif kind == "word":
                self.scan.items.append(Item("w", self.raws[at]))
            return at + 1
        if kind == "word":
            if word not in LEXICON.concepts and _plain_word(self.words, self.glued, at):
                self.scan.items.append(Item("w", self.raws[at]))
                return at + 1
            found = symbols.read_symbol(self.words, self.raws, self.glued, at, TABLE)
            if found:
                self.scan.perpetual |= found[0].endswith("USDT")
                self.symbols.append(Item("sym", self._text(at, found[1]), raw=found[0]))
                self.scan.items.append(self.symbols[-1])
                return at + found[1]
            self.scan.perpetual |= word in TABLE.perp_markers
        concept = lexicon.match(LEXICON.concepts, self.words, at)
        if concept:
            self.scan.items.append(Item(concept[0], self._text(at, concept[1])))
            return at + concept[1]
        if kind == "word":
            self.scan.items.append(Item("w", self.raws[at]))
        self.scan.question |= word == "?"
        return at + 1  # other punctuation carries no meaning once joiners are known

    def _text(self, at: int, span: int) -> str:
        if span == 1:
            return self.raws[at]
        return " ".join(tok[1] for tok in self.toks[at : at + span])

    def _number(self, at: int) -> int:
        raw = self.toks[at][1]
        previous = self.scan.items[-1] if self.scan.items else None
        short = raw.isdigit() and len(raw) <= 2
        labelled = previous is not None and previous.kind in LABELS and not previous.unit
        if labelled and previous is not None and self.glued[at] and short:
            previous.unit = raw  # "TP1": an index, not a price
            return at + 1
        if previous is not None and previous.kind in _NUMBERED and short:
            return at + 1
        values = read_numbers(raw)
        if values is None:
            self.scan.items.append(Item("date", raw))
            return at + 1
        unit, after = self._unit(at)
        self.scan.perpetual |= unit == "lev"
        for index, value in enumerate(values):
            if index:
                self.scan.items.append(Item("list", ","))
            self.scan.items.append(Item("num", raw, value=value, raw=raw, unit=unit))
        return after

    def _unit(self, at: int) -> tuple[str, int]:
        before = self.words[at - 1] if at else ""
        if at and self.glued[at] and before in _TIMEFRAME | {"x"}:
            return ("lev" if before == "x" else "tf"), at + 1
        nxt = at + 1
        after = self.words[nxt] if nxt < len(self.words) else ""
        concept = lexicon.match(LEXICON.concepts, self.words, nxt) if after else None
        name = concept[0] if concept else ""
        if name == "pips" or (after[:3] == "pip" and self.glued[nxt]):
            return "pips", nxt + concept[1] if concept else nxt + 1
        if after == "%":
            return "pct", nxt + 1
        if after and self.glued[nxt] and (after in _ORDINAL or after in _TIMEFRAME or after == "x"):
            return ("lev" if after == "x" else "ord" if after in _ORDINAL else "tf"), nxt + 1
        if name == "time":
            return "tf", nxt + concept[1] if concept else nxt
        if after == ":" and self._clock(nxt):
            return "tf", nxt + 2
        if before == "+":
            return "signed", nxt
        return "", nxt

    def _clock(self, colon: int) -> bool:
        # "15:29" or "20:31:32" — a time of day, not a level.
        following = colon + 1
        return (
            following < len(self.toks)
            and self.glued[colon]
            and self.glued[following]
            and self.toks[following][0] == "num"
            and len(self.toks[following][1]) == 2
        )


def scan(text: str) -> Scan:
    """Return the items of `text` in reading order."""
    return _Scanner(text).run()
