"""A message of levels alone ("SL 2640 TP1 2660 TP2 2670") completes the signal it follows.

Many channels post the side first ("GOLD BUY NOW 2650") and the levels a moment later. A message
that names no side and no symbol, only a stop and/or targets (and perhaps the entry), is a modify
of the signal it replies to, or of the channel's latest signal within the user's window: never
an opening. Anything else in it — a word that is not a level's, a mark or word that reports a
result ("✅", "hit"), a distance in pips, a time — and it is not read as one.
"""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.model import Action, Command, Parse, Scope
from signal_copier.core.parsing.commands import MAX_TP_NUMBER
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.tokens import Item

# Item kinds a levels-only message is made of: labels, prices, line breaks, "." and list joiners.
_LEVEL_KINDS = frozenset({"sl", "tp", "entry", "num", "tp_open", "nl", "p", "list", "join"})
# Marks that report how a level ended ("TP1 2660 ✅", "SL 2640 ❌"), never a level to set.
_RESULT_MARKS = frozenset("✅✔☑❌✖🎯💰🔥🏆🚀")
# A target's number written as a word after its label, the rule in Arabic ("الهدف الأول",
# normalised with ی for ي), Persian, Indonesian and Romance labels.
_TARGET_ORDINALS = frozenset(
    {
        *("الأول", "الاول", "الثانی", "الثاني", "الثالث", "الرابع", "اول", "دوم", "سوم", "چهارم"),
        *("pertama", "kedua", "ketiga", "keempat"),
        *("premier", "deuxième", "troisième", "primero", "segundo", "tercero", "primo", "secondo"),
    }
)
MEANS = (
    "levels only, no side and no symbol: they complete the signal this message replies to, "
    "or the channel's latest signal if it was posted within the window (split_window_s); "
    "never a new trade"
)
_ENTRY_KEPT = "the entry is read to check the levels against it; the trade's entry is not moved"
_CONTRADICT = "the levels contradict each other (the stop and the targets on one side): not read"
_NUMBERING = "the targets' numbers do not match their prices: not read"


def read_levels_only(text: str, items: list[Item], blocks: list[Block]) -> Parse | None:
    """Return a levels-only message as a modify of the signal it follows, else None."""
    if len(blocks) != 1 or not _only_levels(text, items):
        return None
    block = blocks[0]
    if block.symbol is not None or block.sides or block.sl_pips is not None or block.tp_pips:
        return None
    if block.sl is None and not block.tps:
        return None  # an entry alone completes nothing
    numbers = _tp_numbers(items, len(block.tps))
    if numbers is None:
        return Parse(reason="ambiguous", explain=(*block.explain, _NUMBERING))
    if _contradicts(block):
        return Parse(reason="ambiguous", explain=(*block.explain, _CONTRADICT))
    command = Command(
        action=Action.MODIFY,
        scope=Scope.REPLY,
        sl=block.sl,
        tps=tuple(block.tps),
        tp_numbers=numbers,
        levels_only=True,
    )
    entry = (_ENTRY_KEPT,) if block.entry is not None or block.entry_range else ()
    return Parse(command=command, reason="modify", explain=(*block.explain, *entry, MEANS))


def _only_levels(text: str, items: list[Item]) -> bool:
    if any(mark in text for mark in _RESULT_MARKS):
        return False
    for at, item in enumerate(items):
        if _ordinal(items, at):
            continue  # "الهدف الأول 2656": the target's "first" is part of its label
        if item.kind not in _LEVEL_KINDS or (item.kind == "num" and item.unit):
            return False  # "hit", a word, "+30 pips", "50%", "1)"
    return True


def _ordinal(items: list[Item], at: int) -> bool:
    item = items[at]
    after_target = at > 0 and items[at - 1].kind == "tp"
    return after_target and item.kind == "w" and item.text.lower() in _TARGET_ORDINALS


def _tp_numbers(items: list[Item], count: int) -> tuple[int, ...] | None:
    # () when the targets are in order from TP1 (numbered so or not at all); their numbers when
    # the text numbers each ("TP2 2670⏎TP3 2680"); None when some are numbered and some not.
    written = [
        item.unit
        for at, item in enumerate(items)
        if item.kind == "tp" and item.unit and not _open_target(items, at)
    ]
    if not written:
        return ()
    if len(written) != count or not all(number.isdigit() for number in written):
        return None
    numbers = tuple(int(number) for number in written)
    if len(set(numbers)) != count or not all(1 <= n <= MAX_TP_NUMBER for n in numbers):
        return None
    return () if numbers == tuple(range(1, count + 1)) else numbers


def _open_target(items: list[Item], at: int) -> bool:
    # "TP3: open": a numbered target left open carries no price, so it numbers none.
    following = next((item for item in items[at + 1 :] if item.kind != "p"), None)
    return following is not None and following.kind == "tp_open"


def _contradicts(block: Block) -> bool:
    # With an entry, the stop and every target lie on opposite sides of it; without one, every
    # target lies on one side of the stop. Which side is the signal's to say (the engine checks).
    reference = block.entry
    if reference is None and block.entry_range is not None:
        reference = (block.entry_range[0] + block.entry_range[1]) / 2
    if reference is None:
        if block.sl is None:
            return False
        reference, signs = block.sl, set[int]()
    else:
        signs = set() if block.sl is None else {_sign(reference - block.sl)}
    signs |= {_sign(tp - reference) for tp in block.tps}
    return len(signs) > 1 or 0 in signs


def _sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)
