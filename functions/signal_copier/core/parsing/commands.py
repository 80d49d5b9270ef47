"""Read follow-ups: move the stop, change a target, close (part of) a trade, cancel an order."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import pairwise
from operator import attrgetter

from signal_copier.core.model import Action, Command, Scope, Side, SlAnchor
from signal_copier.core.parsing.tokens import TABLE, Item, scan

MAX_WORDS = 24
_VETO = frozenset({"w", "negation", "conditional", "hedge", "veto"})
_SILENT = frozenset({"num", "nl", "p", "date", "list", "exchange"})
_PUNCT_JOINS = frozenset({"-", "/", "_", "~"})
_ENTRY_WORDS = frozenset({"breakeven", "entry"})
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
# "delete the buy limit": the order type names the side too (weak cues such as 🟢 do not).
_SIDES.update(
    {f"{name}_{order}": side for name, side in _SIDES.items() for order in ("limit", "stop")}
)
_IMPERATIVES = frozenset({"close", "cancel"})
# A clause after the command may explain it ("price is moving against us") but not undo it.
_UNDOING = frozenset({"negation", "conditional", "hedge", "veto"})
_NEAR_TARGETS = frozenset({"num", "entry", "entry_weak", "breakeven", "sl", "tp"})
_CLAUSE_MARKS = ",;!✅☑✔❌.\n\t "
_CLAUSE_END = re.compile(r"[,;!✅☑✔❌\n]|\.(?!\S)")
_HUNDRED = Decimal(100)
_TEN = Decimal(10)
_KIND = attrgetter("kind")
_LEADING_QUIET = _SILENT | {"filler", "sym"}  # "#SOL/USDT Cancelled ❌": the symbol leads
_MOVERS = ("sl", "move", "new", "protect")  # "SL to entry", "move to BE", "secure at BE"
_TELLERS = frozenset({"move", "new", "join"})  # "SL to 1950", "new TP 2380": a level changes
_UNSAID = frozenset({"filler", "join"})  # "don't close", "no need to close", "no cerramos"


def _words(items: list[Item]) -> list[Item] | None:
    words = [i for i in items if i.kind not in _SILENT and i.text not in _PUNCT_JOINS]
    if not words or len(words) > MAX_WORDS:
        return None
    for at, word in enumerate(words):
        if word.kind in _VETO:
            if word.kind != "w" or word.text.lower() not in TABLE.crypto_bare:
                return None
            # "close eth": in a short follow-up a lower-case coin ticker still names the coin.
            words[at] = Item("sym", word.text, raw=word.text.upper() + "USD")
    return words


def _scope(words: list[Item]) -> tuple[Scope, str | None, Side | None]:
    symbol = next((w.raw for w in words if w.kind == "sym"), None)
    side = next((_SIDES[w.kind] for w in words if w.kind in _SIDES), None)
    if symbol is not None:
        return Scope.SYMBOL, symbol, side
    if any(w.kind == "all" for w in words):
        return Scope.ALL, None, side
    return Scope.REPLY, None, side


def _fraction(items: list[Item]) -> Decimal:
    kinds = {item.kind for item in items}
    if "half" in kinds:
        return Decimal("0.5")
    if "quarter" in kinds:
        return Decimal("0.25")
    for at, item in enumerate(items):
        if item.kind == "num" and item.unit == "pct" and 0 < item.value <= _HUNDRED:
            return item.value / _HUNDRED
        if item.kind == "num" and item.raw.isdigit() and at + 2 < len(items):
            share = _share(item, items[at + 1], items[at + 2])
            if share is not None:
                return share
    return Decimal("0.5") if "partial" in kinds else Decimal(1)


def _share(top: Item, mark: Item, bottom: Item) -> Decimal | None:
    # "Close 1/2", "close 1/3": a written fraction of the position.
    if mark.text != "/" or bottom.kind != "num" or not bottom.raw.isdigit():
        return None
    if 0 < top.value < bottom.value <= _TEN:
        return top.value / bottom.value
    return None


def _sl_to_entry(items: list[Item]) -> bool:
    # "SL to entry" / "move to BE" / "secure at breakeven": an entry word after the stop or a verb
    # that moves it, with no price after it. "SL hit at entry" reports; "Breakeven ✅" alone tells.
    mover = next(
        (i for i, it in enumerate(items) if it.kind in _MOVERS and not _reported(items, i)), None
    )
    if mover is None:
        return False
    for at in range(mover + 1, len(items)):
        if items[at].kind in _ENTRY_WORDS:
            following = next((it for it in items[at + 1 :] if it.kind != "p"), None)
            if following is None or following.kind != "num":
                return True
    return False


def _sl_to_tp1(items: list[Item]) -> bool:
    labels = [i for i in items if i.kind in ("sl", "tp")]
    for first, second in pairwise(labels):
        if first.kind == "sl" and second.kind == "tp" and second.unit in ("", "1"):
            between = [i.kind for i in items[items.index(first) + 1 : items.index(second)]]
            if "join" in between and "num" not in between:  # not "SL to 2652 and TP to 2680"
                return True
    return False


def _levels(items: list[Item], words: list[Item]) -> tuple[Decimal | None, tuple[Decimal, ...]]:
    # A price after an SL/TP label is a change only when told to move it ("SL to 1950", "new TP").
    told = any(w.kind in _TELLERS for w in words)
    sl: Decimal | None = None
    tps: list[Decimal] = []
    pending: list[str] = []
    for at, item in enumerate(items):
        if item.kind in ("sl", "tp"):
            pending.append(item.kind)
        elif item.kind == "num" and _reported(items, at):
            pending = []  # "target 1263.01 hit": a report, not a new level
        elif item.kind == "hit":
            pending = []  # "TP1 hit, SL to 1950": the TP1 was a report
        elif item.kind == "num" and not item.unit and pending and told:
            if "sl" in pending and sl is None:
                sl = item.value
            if "tp" in pending:
                tps.append(item.value)
            pending = []
    return sl, tuple(tps)


def _reported(items: list[Item], at: int) -> bool:
    following = next((it for it in items[at + 1 :] if it.kind not in ("p", "nl")), None)
    return following is not None and following.kind == "hit"


def read_command(items: list[Item]) -> Command | None:
    """Return the follow-up a message gives, or None if it gives none."""
    if "close" in map(_KIND, items):
        items = _verbs(_unsaid(items))
        if _level_list(items):
            return None  # "Close 33660 31500", "Exit: 0.212, 0.218": exit levels, no command
    words = _words(items)
    if words is None:
        return None
    kinds = {w.kind for w in words}
    scope, symbol, side = _scope(words)
    if "close" in kinds:
        then = SlAnchor.ENTRY if _sl_to_entry(_after(items, "close")) else None
        return Command(
            action=Action.CLOSE,
            scope=scope,
            symbol=symbol,
            side=side,
            fraction=_fraction(items),
            then_sl_anchor=then,
        )
    if "cancel" in kinds:
        return Command(action=Action.CANCEL, scope=scope, symbol=symbol, side=side)
    return _modify(items, words, scope, symbol, side)


def read_leading_command(text: str, items: list[Item]) -> Command | None:
    """Return the close or cancel that opens `text` when the clauses after it only explain it."""
    if not _imperative(items) or _level_list(_verbs(items)):
        return None  # "Exit: 0.212, 0.218": a list of exit levels, not "exit" with a comment
    head, rest = _first_clause(text)
    while rest and not _imperative(scan(head).items) and _quiet(scan(head).items):
        head, rest = _first_clause(rest)  # "Binance Futures⏎#WAVES/USDT Cancelled ❌⏎…"
    items = scan(head).items
    if not rest or not _imperative(items):
        return None
    if any(item.kind in _UNDOING for item in scan(rest).items):
        return None
    return read_command(items)


def _imperative(items: list[Item]) -> bool:
    # "Order cancelled, price ran away": filler words ("the", "order") may stand before the verb.
    first = next((item for item in _verbs(items) if item.kind not in _LEADING_QUIET), None)
    return first is not None and first.kind in _IMPERATIVES


def _quiet(items: list[Item]) -> bool:
    return all(item.kind in _LEADING_QUIET for item in items)


def _first_clause(text: str) -> tuple[str, str]:
    text = text.strip(_CLAUSE_MARKS)  # "✅ Close all now ✅": marks around the message end nothing
    found = _CLAUSE_END.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], text[found.end() :]


def _verbs(items: list[Item]) -> list[Item]:
    # "Move SL close to entry", "close to 1950": "close" means near there, not "close the trade".
    near = [at for at, item in enumerate(items) if item.kind == "close" and _near(items, at + 1)]
    return [item for at, item in enumerate(items) if at not in near] if near else items


def _near(items: list[Item], at: int) -> bool:
    if at >= len(items) or items[at].kind != "join":
        return False
    target = next((item for item in items[at + 1 :] if item.kind != "filler"), None)
    return target is not None and target.kind in _NEAR_TARGETS


def _unsaid(items: list[Item]) -> list[Item]:
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


def _level_list(items: list[Item]) -> bool:
    at = next((i for i, item in enumerate(items) if item.kind == "close"), len(items))
    prices = 0
    for item in items[at + 1 :]:
        if item.kind == "num" and not item.unit:
            prices += "." in item.raw or item.value > _TEN  # not the "1/2" of "close 1/2"
        elif item.kind not in ("join", "list"):
            break
    return prices >= 2


def _after(items: list[Item], kind: str) -> list[Item]:
    at = next(i for i, item in enumerate(items) if item.kind == kind)
    return items[at + 1 :]


def _modify(
    items: list[Item], words: list[Item], scope: Scope, symbol: str | None, side: Side | None
) -> Command | None:
    anchor = None
    if _sl_to_tp1(items):
        anchor = SlAnchor.TP1
    elif _sl_to_entry(items):
        anchor = SlAnchor.ENTRY
    sl, tps = _levels(items, words)
    if anchor is None and sl is None and not tps:
        return None
    return Command(
        action=Action.MODIFY,
        scope=scope,
        symbol=symbol,
        side=side,
        sl=None if anchor else sl,
        sl_anchor=anchor,
        tps=tps,
    )
