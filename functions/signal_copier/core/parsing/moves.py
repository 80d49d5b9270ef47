"""Levels moved "from X to Y" in any language: X is the level replaced, Y is where it goes.

"Стоп переносим с 2640 на 2650", "Mover stop de 2640 para 2650", "Dời SL từ 2640 lên 2650",
"止损从2640移到2650": read as the stop at 2640, the message would move the stop back to where
it was. Either a word that says "to" stands between the two prices, or a word that says "from"
stands right before the first, the second following within a few words.
"""

from __future__ import annotations

from signal_copier.core.parsing.tokens import Item
from signal_copier.core.parsing.told import CHANGED_TO

# The joining words of "from 2640 to 2645" (not "and", "or", "/": those join a list of levels).
# The "to" of a move that is no joiner of levels: ru/uk "на", pt/es "para", fa "به",
# vi "lên"/"xuống"/"sang", zh "到"/"至".
_TO = frozenset({"на", "para", "به", "lên", "xuống", "sang", "到", "至"})
# The "from" of a move: en, es/pt/fr/it, de, ru, uk, fa, ar, vi, zh, id/ms, hi.
_FROM = frozenset(
    {"from", "de", "desde", "da", "du", "von", "с", "со", "з", "із", "از", "من", "từ", "从"}
    | {"dari", "se"}
)
_REACH = 3  # words between the "from" price and the new one ("с 2640 переносим на 2650")
_OLD = "old"  # the unit of a value replaced (as in "SL: 3391.20 ← 3402.75")


def replaced(items: list[Item], at: int) -> bool:
    """Return True when the price at `at` is the level a move replaces, not its new level."""
    following = [it for it in items[at + 1 : at + 2 + _REACH] if it.kind != "p"]
    if len(following) < 2:
        return False
    word, after = following[0], following[1]
    said = word.text.lower()
    if after.kind == "num" and not after.unit:
        if word.kind == "join" and said in CHANGED_TO:
            return True  # "SL 2640 to 2650"
        if said in _TO:
            return True  # "с 2640 на 2650", "de 2640 para 2650"
    if at == 0 or items[at - 1].text.lower() not in _FROM:
        return False
    # "从2640移到2650", "с 2640 переносим на 2650": after a "from", the next price on the line.
    for item in following[:_REACH]:
        if item.kind in ("nl", "sl", "tp", "entry"):
            return False
        if item.kind == "num":
            return not item.unit
    return False


def marked(items: list[Item]) -> list[Item]:
    """Return `items` with each level a move replaces marked as the old value."""
    return [
        Item(item.kind, item.text, item.value, item.raw, _OLD)
        if item.kind == "num" and not item.unit and replaced(items, at)
        else item
        for at, item in enumerate(items)
    ]
