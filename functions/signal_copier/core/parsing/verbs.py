"""Close and cancel words that command nothing: "close to entry", "don't close", "Delete TP2"."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.parsing.tokens import Item

_NEAR_TARGETS = frozenset({"num", "entry", "entry_weak", "breakeven", "sl", "tp"})
_UNSAID = frozenset({"filler", "join"})  # "don't close", "no need to close", "no cerramos"
# Joining words that mean "and" in other languages: "schließen und Stopp auf Einstand" closes,
# then moves the stop (the English "close and SL to entry on the rest" keeps its old reading).
_AND = frozenset({"und", "et", "e", "y", "и", "و", "ve"})
_TEN = Decimal(10)
_AFTER_SHARE = frozenset({"nl", "p", "market", "join", "move", "sl"})  # "take 30% now and …"
_TAKEN = frozenset({"off", "profit", "profits", "here"})
_AGAIN = frozenset({"another", "more", "further"})
# What a close names before "at": "close half at TP1", "close all gold at TP2", "close 50% at".
_OBJECTS = frozenset(
    {"market", "all", "sym", "buy", "sell", "filler", "half", "quarter", "third", "partial", "num"}
)


def as_verbs(items: list[Item]) -> list[Item]:
    """Return `items` without the close words that mean "near" ("move SL close to entry")."""
    # "Move SL close to entry", "close to 1950": "close" means near there, not "close the trade".
    near = [at for at, item in enumerate(items) if item.kind == "close" and _near(items, at + 1)]
    return [item for at, item in enumerate(items) if at not in near] if near else items


def take_share(items: list[Item]) -> list[Item]:
    """Return `items` with a "take" that a share follows read as a close ("Take 30% off")."""
    # "Take 30% off", "take half profits": the share is what is closed; "off" only says so.
    # Not "Take 20% risk": what follows the share must say it is profit taken off, or end there.
    for at in range(len(items) - 1):
        item = items[at]
        if item.kind != "filler" or item.text.lower() != "take":
            continue
        # "Take another 25% off": another part, of what is left
        skip = 2 if at + 2 < len(items) and items[at + 1].text.lower() in _AGAIN else 1
        if _share(items[at + skip]):
            rest = items[at + skip + 1 :]
            if rest and rest[0].kind not in _AFTER_SHARE and rest[0].text.lower() not in _TAKEN:
                return items
            if rest and rest[0].text.lower() == "off":
                rest = rest[1:]
                if [item.text.lower() for item in rest[:2]] == ["the", "table"]:
                    rest = rest[2:]  # "Take 25% off the table"
            return [*items[:at], Item("close", item.text), items[at + skip], *rest]
    return items


def _share(item: Item) -> bool:
    return item.kind in ("half", "quarter", "third") or (item.kind == "num" and item.unit == "pct")


def _near(items: list[Item], at: int) -> bool:
    if at >= len(items) or items[at].kind != "join" or items[at].text.lower() in _AND:
        return False
    target = next((item for item in items[at + 1 :] if item.kind != "filler"), None)
    return target is not None and target.kind in _NEAR_TARGETS


def unsaid(items: list[Item]) -> list[Item]:
    """Return `items` without negated close words and their negation ("don't close")."""
    # "SL to entry, don't close": a negated close is no instruction; what else is said stands.
    kept: list[Item] = []
    for item in items:
        if item.kind == "close":
            back = len(kept)
            while back and kept[back - 1].kind in _UNSAID:
                back -= 1
            if back and kept[back - 1].kind == "negation":
                del kept[back - 1 :]
                continue
        kept.append(item)
    return kept


def level_list(items: list[Item]) -> bool:
    """Return True when the first close word opens a list of exit prices, not a command."""
    at = next((i for i, item in enumerate(items) if item.kind == "close"), len(items))
    prices = 0
    for item in items[at + 1 :]:
        if item.kind == "num" and not item.unit:
            prices += "." in item.raw or item.value > _TEN  # not the "1/2" of "close 1/2"
        elif item.kind not in ("join", "list"):
            break
    return prices >= 2


def exit_planned(words: list[Item]) -> bool:
    """Return True for "Close at TP1", "close half at TP1": where the trade is to end, not now."""
    at = next(i for i, word in enumerate(words) if word.kind == "close")
    following = [word.kind for word in words[at + 1 :] if word.kind not in _OBJECTS]
    return following[:2] == ["entry_weak", "tp"] and not any(w.kind == "market" for w in words)


def drops_level(words: list[Item]) -> bool:
    """Return True for "Delete TP2", "Remove SL": a cancel word whose object is a level."""
    at = next(i for i, word in enumerate(words) if word.kind == "cancel")
    following = next((word for word in words[at + 1 :] if word.kind != "filler"), None)
    if following is None or following.kind not in ("tp", "sl"):
        return False
    return any(ch.isalpha() for ch in following.text)  # "cancelled ❌": a mark, no stop named
