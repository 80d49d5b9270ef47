"""Scan normalized text into items: numbers with units, symbols, concepts and unknown words."""

from __future__ import annotations

import re

from signal_copier.core.parsing import contextual, lexicon, segment, symbols, symscan
from signal_copier.core.parsing.normalize import SLASH, normalize
from signal_copier.core.parsing.numscan import LABELS, Item, Scan

__all__ = ["LABELS", "LEXICON", "TABLE", "Item", "Scan", "scan"]

LEXICON = lexicon.load()
TABLE = symbols.load_table(LEXICON.symbols)
_KNOWN = LEXICON.words | frozenset(TABLE.aliases)
_SPLIT_UNSPACED = segment.Segmenter(_KNOWN)  # "黄金买入" → "黄金 买入"
# A symbol whose name depends on the rest of the message (a USDT pair marks it perpetual; a bare
# ticker settles once the message is read) is never a shared item.
_SETTLED_LATER = ("USDT", symbols.BARE_CRYPTO, symbols.BARE_TICKER)

_NEWLINE = Item("nl", "\n")
# "#rlc/usdt", "Lit/Usdt": a coin pair written in lower or mixed case, the slash and a stable-coin
# quote show what it is; it is read as the upper-case pair.
_CASED_PAIR = re.compile(
    r"(?<![\w.])[a-z0-9]{2,10}\s?[/|]\s?(?:usdt|usdc|busd)(?!\w)", re.IGNORECASE
)
# Bounds that keep the worst message cheap: a channel post is never denser than this.
MAX_TOKENS = 1000
_MAX_PARTS = 2 * MAX_TOKENS + 1  # the split alternates the text between tokens and the tokens
MAX_SYMBOLS = 32  # symbols read in one message; past that it is a list or a recap
_SENTENCE_END = ". ` "  # "`" is a token of its own, and normalised text holds no other "`"

# How a token is read. Only SHARED tokens mean the same wherever they stand, so their one Item is
# reused (never changed: labels and bare crypto tickers, which scanning amends, are never SHARED).
_SHARED, _BREAK, _PHRASE_WORD, _PHRASE_MARK, _QUESTION, _SYMBOLISH, _TICKER = range(7)
_Reading = tuple[int, Item | None, lexicon.PhraseStart]


def _simple_words() -> dict[str, str]:
    # Words whose meaning needs no look-ahead: one-word phrases only, no symbol can start there.
    simple: dict[str, str] = {}
    for first, entries in LEXICON.concepts.items():
        one_word = all(len(phrase) == 1 for phrase, _ in entries)
        symbolish = (
            first in TABLE.starts
            or first in TABLE.perp_markers
            or first in TABLE.aliases
            or first in TABLE.digit_prefixes  # "de" in "DE40": a symbol once digits follow
        )
        if one_word and not symbolish:
            simple[first] = entries[0][1]
    return simple


_SIMPLE = _simple_words()
_SIMPLE.update({mark: "" for mark in "@:-/_~&,;+%()[]{}=.!#$" if mark not in LEXICON.concepts})
_PHRASES = lexicon.phrase_starts(LEXICON.concepts)
_NO_PHRASE: lexicon.PhraseStart = (frozenset(), None)
_READINGS_LIMIT = 50_000
_READINGS: dict[str, _Reading] = {  # raw token → reading (memo)
    "\n": (_BREAK, None, _NO_PHRASE),
    "`": (_SHARED, Item("p", "."), _NO_PHRASE),
}


# Words that alone mean nothing ("la", "the"): in capitals beside a quote they may name a coin.
_FILLERS = frozenset(
    word
    for word, entries in LEXICON.concepts.items()
    if any(len(phrase) == 1 and kind == "filler" for phrase, kind in entries)
    and word not in TABLE.starts | TABLE.digit_prefixes  # "de" in "DE40" is read as a symbol
)


def _read_token(raw: str, word: str) -> tuple[int, Item | None]:
    is_word = raw[0].isalnum()
    simple = _SIMPLE.get(word)
    if simple in LABELS:
        return _PHRASE_WORD if is_word else _PHRASE_MARK, None
    if simple is not None:
        kind = simple or ("w" if is_word else "")
        return _SHARED, Item(kind, raw) if kind else None
    if is_word and symbols.may_start(word, raw, TABLE):
        if word in TABLE.contextual or word in TABLE.perp_markers:
            return _SYMBOLISH, None
        found = symbols.read_symbol([word], [raw], [" "], 0, TABLE)
        if found is not None and not found.name.endswith(_SETTLED_LATER):
            return _SHARED, Item("sym", raw, raw=found.name)  # "gold", "EURUSD": the same anywhere
        if found is not None:
            return _SYMBOLISH, None  # a USDT pair: also marks the message as perpetual futures
    if word in LEXICON.concepts:
        return _PHRASE_WORD if is_word else _PHRASE_MARK, None
    if is_word and symbols.ticker_shaped(raw) and word not in TABLE.not_tickers:
        return _TICKER, None  # "APR" in "APR/USDT", "$ONDO", "Coin: ONDO", "XAUUSDBUY"
    if is_word:
        return _SHARED, Item("w", raw)
    return (_QUESTION if raw == "?" else _SHARED), None


def _reading(raw: str, word: str) -> _Reading:
    if word in _FILLERS and raw.isupper() and symbols.ticker_shaped(raw):
        how, item = _TICKER, None  # "LA" in "#LA/USDT"; elsewhere still read as the filler it is
    else:
        how, item = _read_token(raw, word)
    phrase = _PHRASES.get(word, _NO_PHRASE)
    if how == _PHRASE_WORD and phrase[1] is not None and phrase[1][0] not in LABELS:
        item = Item(phrase[1][0], raw)  # its one-word reading, shared: only labels are amended
    found = how, item, phrase
    if len(_READINGS) < _READINGS_LIMIT:
        _READINGS[raw] = found
    return found


# One chain of bases, not two mixins: mypyc compiles single inheritance only.
class _Scanner(symscan.SymbolScanner):
    table = TABLE

    def __init__(self, text: str) -> None:
        norm = normalize(text, _known, _SPLIT_UNSPACED)
        if "sd" in norm and (SLASH in norm or "/" in norm):  # a lower-case "usdt" after a slash
            norm = _CASED_PAIR.sub(_upper, norm)
        if ". " in norm or "! " in norm:  # a sentence ends: "vs BTC. Trade: SHORT SOL/USDT"
            norm = norm.replace(". ", _SENTENCE_END).replace("! ", _SENTENCE_END)
        parts = (lexicon.ASCII_TOKEN if norm.isascii() else lexicon.TOKEN).split(norm)
        if len(parts) > _MAX_PARTS:
            del parts[_MAX_PARTS:]  # a soup of numbers and marks: its head is all that is read
        self.raws = parts[1::2]
        # One lower() over the joined tokens costs less than a call per token (no token holds a
        # space, and a space ends the context of a final sigma as the token's own end does).
        self.words = " ".join(self.raws).lower().split(" ") if self.raws else []
        # The text skipped before each token: none when it is glued to the token before it.
        self.gaps = parts[:-1:2]
        if self.gaps:
            self.gaps[0] = " "  # the first token is glued to nothing
        self.scan = Scan([], self.words)  # items, words: positional, as keywords cost a dict
        self.symbols: list[Item] = []
        self.commas = None

    def run(self) -> Scan:
        raws, words, items, known = self.raws, self.words, self.scan.items, _READINGS.get
        append, count, resume = items.append, len(raws), 0
        for at, raw in enumerate(raws):
            if at < resume:
                continue  # read already, with a number, phrase or symbol before it
            reading = known(raw)
            if reading is None:
                if raw[0].isdecimal():
                    resume = self._number(at, raw)
                    continue
                reading = _reading(raw, words[at])
            how, item, phrase = reading
            if how == _SHARED:
                if item is not None:
                    append(item)
            elif how == _BREAK:
                if items and items[-1] is not _NEWLINE:
                    append(_NEWLINE)
            elif (
                how == _PHRASE_WORD
                and phrase[1] is not None
                and (at + 1 == count or words[at + 1] not in phrase[0])
            ):
                append(item if item is not None else Item(phrase[1][0], raw))
            else:
                resume = self._word(at, how, phrase, item)
        contextual.read(items, words)
        self._settle_symbols()
        return self.scan

    def _settle_symbols(self) -> None:
        # A coin's quote is known only once the whole message was read ("x20" makes it a perp).
        perpetual = self.scan.perpetual
        for item in self.symbols:
            if item.unit == symscan.BESIDE_SIDE:  # "BULLA SHORT": a coin where leverage is said
                coin = perpetual and self._alone(item)
                item.kind, item.unit = ("sym", "hash") if coin else ("w", "")
            item.raw = symbols.settle_crypto(item.raw, perpetual)

    def _alone(self, beside: Item) -> bool:
        # "KAITO SHORT ⏎ Leverage: 20x": a ticker read only by its side word names the coin
        # when the message names no other symbol ("MOON SELL ⏎ #ETHUSDT": ETH is the coin).
        return not any(
            item.kind == "sym" and item is not beside and item.unit != symscan.BESIDE_SIDE
            for item in self.scan.items
        )

    def _coin_context(self, at: int) -> bool:
        # A word that is also a filler ("LA") is a coin only beside its quote, never by "#" alone.
        return self._quoted(at) if self.words[at] in _FILLERS else self._ticker_context(at)

    def _word(self, at: int, how: int, phrase: lexicon.PhraseStart, item: Item | None) -> int:
        if len(self.symbols) >= MAX_SYMBOLS:
            pass  # past the bound, words are read as words only
        elif how == _SYMBOLISH or (how == _TICKER and self._coin_context(at)):
            span = self._symbol(at)
            if span:
                return at + span
        elif how == _TICKER and self._glued(at):
            return at + 1
        seconds, concept = phrase  # "?" begins no phrase
        words = self.words
        if seconds and at + 1 < len(words) and words[at + 1] in seconds:
            concept = lexicon.match(LEXICON.concepts, words, at)
        if concept is not None:
            kind, span = concept
            if span == 1 and item is not None:
                self.scan.items.append(item)
                return at + 1
            text = self.raws[at] if span == 1 else " ".join(self.raws[at : at + span])
            self.scan.items.append(Item(kind, text))
            return at + span
        if how in (_SYMBOLISH, _PHRASE_WORD, _TICKER):
            self.scan.items.append(Item("w", self.raws[at]))
        if how == _QUESTION:
            self.scan.question = True
            self.scan.asks.append(len(self.scan.items))
        return at + 1  # other punctuation carries no meaning once joiners are known


def _upper(found: re.Match[str]) -> str:
    return found.group().upper()


def _known(word: str) -> bool:
    return word in _KNOWN


def scan(text: str) -> Scan:
    """Return the items of `text` in reading order."""
    return _Scanner(text).run()
