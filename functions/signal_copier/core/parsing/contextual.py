"""Words that mean something only beside their neighbours: "XAUUSD SAT 2650", "OR VENTE 2650".

Turkish "AL"/"SAT" are buy/sell right after a symbol, but "al" is Spanish for "to the" and "SAT"
English for Saturday; French "OR" is gold beside a side word, but "or" is English too ("buy or
sell"). Each is read as its side or symbol only where nothing else could be meant, otherwise it
stays the word it was.
"""

from __future__ import annotations

from signal_copier.core.parsing import lexicon
from signal_copier.core.parsing.numscan import Item

_LEXICON = lexicon.load()
WORDS = frozenset(_LEXICON.side_after_symbol) | frozenset(_LEXICON.symbol_beside_side)
_SIDES = frozenset({"buy", "sell", "buy_limit", "sell_limit", "buy_stop", "sell_stop"})
_AFTER_LEVEL = frozenset({"num", "nl", "p", "market", "limit", "entry", "entry_weak"})
_LEVEL_LABELS = frozenset({"sl", "tp"})
# Words that make a message a follow-up ("close EURUSD al 1.0850"): no new side is read in it.
_FOLLOW_UPS = frozenset({"close", "closed", "cancel", "move", "hit", "negation"})
_TURKISH_NAMES = frozenset({"altın", "altin", "gümüş", "gumus"})


def read(items: list[Item], words: list[str]) -> None:
    """Replace, in place, each neighbour-read word whose neighbours say what it means."""
    if "take" in words:
        _take_labels(items)
    if WORDS.isdisjoint(words):
        return  # the common case: none of these words at all
    sides = _LEXICON.side_after_symbol
    names = _LEXICON.symbol_beside_side
    kinds = {item.kind for item in items}
    for at, item in enumerate(items):
        word = item.text.lower()
        if word in sides and _side_after_symbol(items, at, kinds):
            items[at] = Item(sides[word], item.text)
        elif word in names and _symbol_beside_side(items, at, kinds):
            items[at] = Item("sym", item.text, raw=names[word])


def _side_after_symbol(items: list[Item], at: int, kinds: set[str]) -> bool:
    # "XAUUSD SAT 2650 SL 2660": in capitals, right after the symbol, before its price or line end,
    # in a message with a stop or a target ("US30 SAT 12" is a time), no other side word and no
    # follow-up verb.
    if at == 0 or items[at - 1].kind != "sym":
        return False
    if not items[at].text.isupper() and items[at - 1].text.lower() not in _TURKISH_NAMES:
        return False  # "Altın sat 2680": after a Turkish name, the Turkish word in any case
    if kinds & _SIDES or kinds & _FOLLOW_UPS or not kinds & _LEVEL_LABELS:
        return False
    return at + 1 == len(items) or items[at + 1].kind in _AFTER_LEVEL


def _symbol_beside_side(items: list[Item], at: int, kinds: set[str]) -> bool:
    # "OR VENTE 2650", "ACHAT OR 2650": in capitals ("Or sell 2650" opens an English sentence),
    # in a message naming no symbol, with a side word on one side and no side on the other
    # ("BUY OR SELL" is a choice, not gold).
    if not items[at].text.isupper() or "sym" in kinds:
        return False
    before = items[at - 1].kind if at else "nl"
    after = items[at + 1].kind if at + 1 < len(items) else "nl"
    if after in _SIDES:
        return before not in _SIDES
    return before in _SIDES and after in _AFTER_LEVEL


def _take_labels(items: list[Item]) -> None:
    # "GOLD SELL 2680 STOP 2690 TAKE 2670": in a signal with a side and a stop, "take" right
    # before a price labels the target ("Take 50% profit", "take partials" stay words).
    kinds = {item.kind for item in items}
    if not kinds & _SIDES or "sl" not in kinds:
        return
    for at, item in enumerate(items[:-1]):
        following = items[at + 1]
        if item.text.lower() == "take" and following.kind == "num" and not following.unit:
            items[at] = Item("tp", item.text)
