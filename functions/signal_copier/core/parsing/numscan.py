"""Numbers as the scanner reads them: units, list numbers, "38K", indexes, old values in updates."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from signal_copier.core.parsing import lexicon
from signal_copier.core.parsing.numbers import read_numbers
from signal_copier.core.parsing.ratios import RATIO, RATIO_BEFORE, RATIO_TERM, RatioScanner

LABELS = frozenset({"sl", "tp", "entry"})
_NUMBERED = frozenset({"buy", "sell"})  # "Buy1 @ 0.9802", "Buy 2 @ 0.9770": an index
_ORDINAL = frozenset({"st", "nd", "rd", "th"})
# Timeframe letters glued to a number ("H4", "15m"), Cyrillic too ("15М", "4Ч"): never a price.
_TIMEFRAME = frozenset(
    {"m", "h", "w", "d", "mn", "min", "mins", "hr", "tf", "k", "м", "ч", "д", "мин"}
)
_GLUED_BEFORE = _TIMEFRAME | {"x"}
_GLUED_AFTER = _TIMEFRAME | _ORDINAL | {"x"}
_UNIT_CONCEPTS = ("pips", "time")
_NEWER_FIRST = frozenset("←⬅⟵")  # "SL: 3391.20 ← 3402.75": the number after it is the old value
_OLDER_FIRST = frozenset("→➡⟶")  # "SL: 2630.00 → 2641.50": the number before it is the old value
_THOUSAND = Decimal(1000)
_CROSSES = frozenset("❌✖")  # marks that end a trade in a loss ("GBPJPY BUY 191.20 ❌ -30 pips")
_MAX_LIST_NUMBER = 20
_MAX_SIDE_INDEX = 5
_PLAIN_GAPS = frozenset({"", " "})
_INDEXED = _NUMBERED | {"w"}  # words a digit may index besides labels ("Buy 2", "T1")
# "Alvo3: 45,4083 … STOP: 44,045": a message that writes a price's decimals with a comma (and
# never a point, nor thousands groups) means "44,045" as 44.045, not 44045. Only four decimals or
# more tell it: "Lot 10,25" or "Winrate 87,45" beside "38,450" do not.
_ONE_GROUP = re.compile(r"\d{1,3},\d{3}")
_COMMA_DECIMAL = re.compile(r"\d+,\d{4,}")
_GROUPS = re.compile(r"\d{1,3}(?:,\d{3}){2,}")


@dataclass(slots=True, eq=False)
class Item:
    """One meaningful piece of a message (kind is a lexicon concept, num, sym, w or nl)."""

    kind: str
    text: str
    value: Decimal = Decimal(0)
    raw: str = ""
    # num: pips, pct, ord, tf, lev, signed, idx (a list number "1)"), old (a value replaced);
    # label: its index ("1" in TP1); sym: "hash" when only a hashtag says it is a ticker
    unit: str = ""


@dataclass(slots=True)
class Scan:
    """The items of one message and message-wide facts."""

    items: list[Item] = field(default_factory=list)
    words: list[str] = field(default_factory=list)  # lower-case tokens, for reason keywords
    perpetual: bool = False
    question: bool = False
    asks: list[int] = field(default_factory=list)  # where each "?" stands among the items
    gain: bool = False  # a "+N pips" figure: a result, or a note on a level


_LIST = Item("list", ",")
_CONCEPTS = lexicon.load().concepts
_UNIT_STARTS = frozenset(
    first
    for first, entries in _CONCEPTS.items()
    if any(value in _UNIT_CONCEPTS for _, value in entries)
)
_UNIT_NEXT = _UNIT_STARTS | RATIO | {"%", ":"}  # unglued words after a number that can be its unit
_UNIT_AFTER = _UNIT_NEXT | _GLUED_AFTER  # any word after a number that can be its unit ("pip…" too)


def _ratio_number(items: list[Item]) -> bool:
    return bool(items) and items[-1].kind == "num" and items[-1].unit == "ratio"


class NumberScanner(RatioScanner):
    """The number-reading base of the scanner (it shares the token lists of the scanner)."""

    scan: Scan
    raws: list[str]
    commas: bool | None  # whether the message writes decimals with commas, once asked

    def _number(self, at: int, raw: str) -> int:
        items, gaps = self.scan.items, self.gaps
        gap, short = gaps[at], len(raw) <= 2
        if gap[-1:] == "." and gap[-2:-1] in ("", " ") and raw.isdigit():
            raw, short = "0." + raw, False  # "Target 1 .405", "SL: .38": a decimal without its 0
        elif short and items and raw.isdigit() and self._indexes(at, raw, gap):
            return at + 1
        values = read_numbers(raw)
        if "," in raw and _ONE_GROUP.fullmatch(raw) and self._comma_decimals():
            values = (Decimal(raw.replace(",", ".")),)
        if values is None:
            items.append(Item("date", raw))
            return at + 1
        words, nxt = self.words, at + 1
        after = words[nxt] if nxt < len(words) else ""
        # A unit is glued to the number, or a word that may stand apart ("15 pips", "2 %"), or the
        # number is glued to a timeframe or "x" before it ("H4", "x20"). Other glued numbers
        # ("2650-2660", "SL:2640") have no unit: _unit would find none.
        if (
            (after in _UNIT_AFTER or after[:3] == "pip")
            and (not gap or not gaps[nxt] or after in _UNIT_NEXT)
        ) or (not gap and words[at - 1] in _GLUED_BEFORE):
            unit, nxt = self._unit(at)
            self._ranged(at, unit, values[0])
            unit = self._result_figure(at, unit)
            if unit == "kilo":  # "38K", "61.2k": thousands
                values, unit = tuple(value * _THOUSAND for value in values), ""
        else:  # the common case: no unit word next ("⏎", "-", "sl")
            unit = "signed" if at and words[at - 1] == "+" else ""
        if not unit and (short or gap not in _PLAIN_GAPS or self._may_mark(at)):
            unit = self._role(at, raw, short)
        items.append(Item("num", raw, values[0], raw, unit))
        if len(values) > 1:
            for value in values[1:]:
                items.append(_LIST)
                items.append(Item("num", raw, value, raw, unit))
        return nxt

    def _may_mark(self, at: int) -> bool:
        # "(was 1.0820)": a value replaced; "1.5" of "RR 1:1.5", "RR 1.5": a ratio.
        items = self.scan.items
        return (bool(items) and items[-1].kind == "was") or (
            at > 0 and self.words[at - 1] in RATIO_BEFORE
        )

    def _comma_decimals(self) -> bool:
        if self.commas is None:
            raws, words = self.raws, self.words
            dots = any(r[:1].isdigit() and ("." in r or _GROUPS.fullmatch(r)) for r in raws)
            self.commas = not dots and any(  # a price's decimals, not "risk 2,5000%"
                "," in raw
                and _COMMA_DECIMAL.fullmatch(raw) is not None
                and (at + 1 >= len(words) or words[at + 1] != "%")
                for at, raw in enumerate(raws)
            )
        return self.commas

    def _indexes(self, at: int, raw: str, gap: str) -> bool:
        # A short number that numbers the label before it ("TP1", "Target 2:"): read as its index.
        previous = self.scan.items[-1]
        if (previous.kind not in LABELS and previous.kind not in _INDEXED) or self._word_head(at):
            return False
        if not gap and previous.kind in LABELS and not previous.unit and self._glued_to_word(at):
            previous.unit = raw  # "TP1": an index, not a price ("SL :80" is a price)
            return True
        return previous.kind in _INDEXED and self._index_of(previous, at, raw)

    def _leverage_range(self) -> None:
        # "(3-5x)": the low end of a leverage range is leverage too, not a price.
        items = self.scan.items
        if len(items) > 1 and items[-1].kind == "join" and items[-2].kind == "num":
            low = items[-2]
            if not low.unit:
                items[-2] = Item("num", low.text, low.value, low.raw, "lev")

    def _ranged(self, at: int, unit: str, value: Decimal) -> None:
        # The unit after a range's high end is the low end's too: "(3-5x)", "3-6%".
        if unit == "lev":
            self.scan.perpetual = True
            self._leverage_range()
        elif unit == "pct":
            self._percent_range(at, value)

    def _percent_range(self, at: int, high: Decimal) -> None:
        # "Stop Targets: 3-6%": the low end of a glued percent range is a percent too, not a
        # price ("Target 1: 5.937 - 30%" gives a price and its share: spaced, or not whole).
        items, gaps = self.scan.items, self.gaps
        if len(items) < 2 or gaps[at] or gaps[at - 1] or items[-1].text != "-":
            return
        low = items[-2]
        if low.kind == "num" and not low.unit and low.raw.isdigit() and low.value < high <= 100:
            items[-2] = Item("num", low.text, low.value, low.raw, "pct")

    def _word_head(self, at: int) -> bool:
        # "#1INCH/USDT", "1000PEPE": digits glued to the letters after them begin a coin's name.
        nxt = at + 1
        return nxt < len(self.raws) and not self.gaps[nxt] and self.raws[nxt][:1].isalpha()

    def _glued_to_word(self, at: int) -> bool:
        return at > 0 and self.raws[at - 1][:1].isalnum()

    def _index_of(self, previous: Item, at: int, raw: str) -> bool:
        # "T1", "Buy 2": the digits index the word before them; they are no price.
        numbered = previous.kind in _NUMBERED and int(raw) <= _MAX_SIDE_INDEX  # not "Sell 86"
        if self.gaps[at]:
            return numbered
        if previous.kind == "w" and previous.text in ("T", "t"):
            self.scan.items[-1] = Item("tp", previous.text, unit=raw)  # "T1 :2320 T2 : 2335"
            return True
        return numbered

    def _role(self, at: int, raw: str, short: bool) -> str:
        # "1) 62010.5": a list number; "3391.20 ← 3402.75", "(was 1.0820)": a value replaced.
        items, gaps = self.scan.items, self.gaps
        gap = gaps[at]
        if len(gap) > 1 and items and items[-1].kind == "num":
            if not _NEWER_FIRST.isdisjoint(gap):
                return "old"
            if not _OLDER_FIRST.isdisjoint(gap):
                older = items[-1]  # replaced rather than changed: an item is never amended
                items[-1] = Item("num", older.text, older.value, older.raw, "old")
        elif items and items[-1].kind == "was":
            return "old"
        nxt = at + 1
        if short and nxt < len(gaps) and raw.isdigit() and int(raw) <= _MAX_LIST_NUMBER:
            after = gaps[nxt]
            if after[:1] == ")" or (after[:1] == "." and (not items or items[-1].kind == "nl")):
                return "idx"
        ratio = short or RATIO_TERM.fullmatch(raw) is not None
        return "ratio" if ratio and self._named_ratio(at, _ratio_number(items)) else ""

    def _result_figure(self, at: int, unit: str) -> str:
        # "+50 pips" tells a gain and "❌ -120 pips" a loss (the cross marks how the trade ended,
        # not a stop label): either makes a message without a stop of its own a result. The
        # loss is no stop distance.
        if unit != "pips" or not at:
            return unit
        words = self.words
        if words[at - 1] == "+":
            self.scan.gain = True
        elif words[at - 1] == "-" and at > 1 and words[at - 2] in _CROSSES:
            self.scan.gain = True
            return "signed"
        return unit

    def _unit(self, at: int) -> tuple[str, int]:
        words, gaps = self.words, self.gaps
        before = words[at - 1] if at else ""
        if at and not gaps[at] and before in _GLUED_BEFORE:
            return self._marked(at, before)
        nxt = at + 1
        if nxt >= len(words):
            return ("signed" if before == "+" else ""), nxt
        after = words[nxt]
        if after not in _UNIT_AFTER and after[:3] != "pip":  # the common case: "⏎", "-", "sl"
            return ("signed" if before == "+" else ""), nxt
        concept = lexicon.match(_CONCEPTS, words, nxt) if after in _UNIT_STARTS else None
        name, span = concept or ("", 1)
        if name == "pips" or (after[:3] == "pip" and not gaps[nxt]):
            return "pips", nxt + span
        marked = self._marked_after(nxt, after)
        if marked is not None:
            return marked
        if not gaps[nxt] and after in _GLUED_AFTER:
            if after == "k" and len(self.raws[at].partition(".")[0]) <= 3:
                return "kilo", nxt + 1
            return ("lev" if after == "x" else "ord" if after in _ORDINAL else "tf"), nxt + 1
        if name == "time":
            return "tf", nxt + span
        if after == ":" and self._clock(nxt):
            return "tf", nxt + 2
        return ("signed" if before == "+" else ""), nxt

    def _marked_after(self, nxt: int, after: str) -> tuple[str, int] | None:
        # "2 %": a share; "0.46 R:R", "2 RR": a risk:reward ratio.
        if after == "%":
            return "pct", nxt + 1
        end = self._ratio_end(nxt) if after in RATIO else 0
        return ("ratio", end) if end else None

    def _marked(self, at: int, before: str) -> tuple[str, int]:
        # "x20", "H4": the letter glued before the number marks it; it is no word of the text.
        items = self.scan.items
        if items and items[-1].kind == "w" and items[-1].text.lower() == before:
            items.pop()
        return ("lev" if before == "x" else "tf"), at + 1

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
