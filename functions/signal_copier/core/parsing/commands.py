"""Read follow-ups: move the stop, change a target, close (part of) a trade, cancel an order."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

from signal_copier.core.model import Action, Command, Scope, Side, SlAnchor
from signal_copier.core.parsing.fractions import lots_named, share_of
from signal_copier.core.parsing.moves import replaced
from signal_copier.core.parsing.offsets import OFFSET_UNITS, entry_offset, offset_unread
from signal_copier.core.parsing.tokens import TABLE, Item
from signal_copier.core.parsing.told import done_last
from signal_copier.core.parsing.verbs import as_verbs, drops_level, exit_planned, level_list, unsaid

MAX_WORDS = 24
_VETO = frozenset({"w", "negation", "conditional", "hedge", "veto", "beyond"})
SILENT = frozenset({"num", "nl", "p", "date", "list", "exchange"})  # no word of a command
_PUNCT_JOINS = frozenset({"-", "/", "_", "~"})
_ENTRY_WORDS = frozenset({"breakeven", "entry"})
_SIDES = {"buy": Side.BUY, "sell": Side.SELL}
# "delete the buy limit": the order type names the side too (weak cues such as 🟢 do not).
_SIDES.update(
    {f"{name}_{order}": side for name, side in _SIDES.items() for order in ("limit", "stop")}
)
_MOVERS = ("sl", "move", "new", "protect")  # "SL to entry", "move to BE", "secure at BE"
_TELLERS = frozenset({"move", "new", "join"})
_NEW_CLAUSE = frozenset({"nl", "move", "new"})  # what ends the labels a price may answer
# Between an entry word and its price: "entry 2645", "entry: 2645", "Change entry to 2645" (a new
# entry price, not the stop to breakeven).
_TO = frozenset({"p", "join"})  # "SL to 1950", "new TP 2380": a level changes


# The words of a verbless breakeven order: what it names, "now", and the words between.
_NAMING = frozenset({"market", "all", "sym", "buy", "sell"})
_SCOPING = _NAMING | {"breakeven", "filler", "join"}


MAX_TP_NUMBER = 10  # the most targets a signal is read with

# "SL 18220 for the NAS buy", "TP 2642 on our gold sells": a side word that is the object of
# "for"/"on"/"of" names a trade already open, never a new order.
_NAMING_TRADE = frozenset({"for", "on", "of"})
_DETERMINERS = frozenset({"the", "my", "our", "your", "this", "that", "these", "those"})
_PENDING_KINDS = frozenset({"limit", *(kind for kind in _SIDES if "_" in kind)})


def _words(items: list[Item]) -> list[Item] | None:
    words: list[Item] = []
    for item in items:  # a loop that stops at the bound: a long post is never a follow-up
        if item.kind not in SILENT and item.text not in _PUNCT_JOINS:
            if len(words) == MAX_WORDS:
                return None
            words.append(item)
    if not words:
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


def _sl_to_entry(items: list[Item]) -> bool:
    # "SL to entry" / "move to BE" / "secure at breakeven": an entry word after the stop or a verb
    # that moves it, with no price after it. "SL hit at entry" reports; "Breakeven ✅" alone tells.
    mover = next(
        (i for i, it in enumerate(items) if it.kind in _MOVERS and not _reported(items, i)), None
    )
    if mover is None:
        return False
    label = None  # the last stop or target label read: "TP to entry" moves no stop
    for at in range(mover + 1, len(items)):
        kind = items[at].kind
        if kind in ("sl", "tp"):
            label = kind
        elif kind in _ENTRY_WORDS and label != "tp":
            following = next((it for it in items[at + 1 :] if it.kind not in _TO), None)
            if following is None or following.kind != "num" or following.unit in OFFSET_UNITS:
                return True  # "SL to BE + 2 pips": the pips lock a little beyond the entry
    return False


def breakeven_told(items: list[Item], words: list[Item] | None = None) -> bool:
    """Return True for a verbless order to breakeven: "Breakeven now", "All trades to BE".

    "Breakeven ✅" alone still tells how a trade ended; a price makes it unclear.
    """
    told = words if words is not None else _words(items) or []
    kinds = [w.kind for w in told]
    if kinds.count("breakeven") != 1 or not _SCOPING.issuperset(kinds) or _has(items, "num"):
        return False
    if done_last(told, kinds):
        return True  # "ریسک فری کنید", "ctc karo": a verb-last "do it" after the breakeven word
    if kinds[0] == "breakeven":
        return any(kind in _NAMING for kind in kinds[1:]) and "join" not in kinds
    return kinds[-2:] == ["join", "breakeven"] and any(kind in _NAMING for kind in kinds[:-2])


def _sl_to_tp(items: list[Item]) -> SlAnchor | None:
    # "SL to TP1", "trail SL to TP2": the stop goes to that target of the signal.
    labels = [i for i in items if i.kind in ("sl", "tp")]
    for first, second in pairwise(labels):
        if first.kind == "sl" and second.kind == "tp" and second.unit in _TP_ANCHORS:
            between = [i.kind for i in items[items.index(first) + 1 : items.index(second)]]
            # not "SL to 2652 and TP to 2680", nor "SL to entry and TP to 2700"
            if "join" in between and "num" not in between and _ENTRY_WORDS.isdisjoint(between):
                return _TP_ANCHORS[second.unit]
    return None


_TP_ANCHORS = {
    "": SlAnchor.TP1,
    "1": SlAnchor.TP1,
    "2": SlAnchor.TP2,
    "3": SlAnchor.TP3,
    "4": SlAnchor.TP4,
}


def _levels(
    items: list[Item], words: list[Item]
) -> tuple[Decimal | None, tuple[Decimal, ...], tuple[int, ...]]:
    # A price after an SL/TP label is a change only when told to move it ("SL to 1950", "new TP").
    # A TP's number ("TP3", "TP 3 to …") says which target the new price replaces.
    told = any(w.kind in _TELLERS for w in words) or names_open_trade(items)
    sl: Decimal | None = None
    tps: list[Decimal] = []
    numbers: list[int | None] = []
    pending: list[int] = []  # where the labels the next price answers stand
    number: int | None = None
    reports = any(item.kind == "hit" for item in items)
    for at, item in enumerate(items):
        if item.kind in ("sl", "tp"):
            pending = _labelled(items, at, pending, reports)
            if item.kind == "tp" and pending[-1:] == [at]:
                number = int(item.unit) if item.unit.isdigit() else None
        elif item.kind == "num" and _tp_number(items, at):
            number = int(item.value)
        elif item.kind == "num" and _reported(items, at):
            pending = []  # "target 1263.01 hit": a report, not a new level
        elif item.kind == "hit":
            pending = []  # "TP1 hit, SL to 1950": the TP1 was a report
        elif item.kind == "num" and not item.unit and pending and told and not replaced(items, at):
            # Not "2640" of "SL from 2640 to 2645" ("с 2640 на 2650"): the label waits for the
            # level after "to".
            kinds = {items[label].kind for label in pending}
            if "sl" in kinds and sl is None:
                sl = item.value
            if "tp" in kinds:
                tps.append(item.value)
                numbers.append(number)
            pending, number = [], None
    named = tuple(n for n in numbers if n is not None)
    return sl, tuple(tps), named if len(named) == len(tps) else ()


def names_open_trade(items: list[Item]) -> bool:
    """Return whether the message's one side word names an open trade ("for the NAS buy")."""
    sides = [at for at, item in enumerate(items) if item.kind in _SIDES]
    if len(sides) != 1 or items[sides[0]].kind not in ("buy", "sell") or _has(items, "entry"):
        return False  # "Entry for the gold buy: 2650": an entry price opens a trade
    side = sides[0]
    at = side - 1
    if at >= 0 and items[at].kind == "sym":
        at -= 1
    while at >= 0 and items[at].kind == "filler" and items[at].text.lower() in _DETERMINERS:
        at -= 1
    if at < 0 or items[at].kind != "filler" or items[at].text.lower() not in _NAMING_TRADE:
        return False
    # "Signal for XAUUSD BUY 2650 …": a price or "now" after the side orders it, unless a stop or
    # target label came first ("SL for the NAS buy 18220", "Take profit on the gold buy now").
    ordered = side + 1 < len(items) and items[side + 1].kind in ("num", "market")
    return not ordered or any(item.kind in ("sl", "tp") for item in items[:at])


def _labelled(items: list[Item], at: int, pending: list[int], reports: bool) -> list[int]:
    # The labels a price after this one answers: not one on an earlier line ("TP1 ✅⏎New stop:
    # 2075"), nor, in a hit report, a target not told on its own line ("🎯Target1: 2134").
    if pending and any(item.kind in _NEW_CLAUSE for item in items[pending[-1] : at]):
        pending = []  # "Gold 2660 TP1 ✅ move SL to 2650": the verb's label is the one it moves
    if items[at].kind == "tp" and reports and not _told_here(items, at):
        return pending
    return [*pending, at]


def _told_here(items: list[Item], at: int) -> bool:
    # A teller on the label's own line, before it: "new TP 2380", "move TP2 to 2400".
    for item in reversed(items[:at]):
        if item.kind == "nl":
            return False
        if item.kind in _TELLERS:
            return True
    return False


def _tp_number(items: list[Item], at: int) -> bool:
    # "TP 2 to 2663": a small whole number right after a TP label, before a price, numbers it.
    item = items[at]
    if at == 0 or items[at - 1].kind != "tp" or items[at - 1].unit or item.unit:
        return False
    if item.value != item.value.to_integral_value() or not 1 <= item.value <= MAX_TP_NUMBER:
        return False
    following = next((it for it in items[at + 1 :] if it.kind not in ("p", "nl")), None)
    return following is not None and following.kind in ("join", "num")


def _reported(items: list[Item], at: int) -> bool:
    following = next((it for it in items[at + 1 :] if it.kind not in ("p", "nl")), None)
    return following is not None and following.kind == "hit"


_BOTH = frozenset({"and", "&", "/", "+"})


def _one_object(words: list[Item] | None) -> list[Item] | None:
    # The words of a command that acts on one thing: None when two symbols or two sides compete.
    if words is None or len({w.raw for w in words if w.kind == "sym"}) > 1:
        return None  # "XAUUSD BUY … (GBPUSD sell was cancelled)": which one it acts on is unsaid
    if len({_SIDES[w.kind] for w in words if w.kind in _SIDES}) > 1:
        if not _both_sides(words):
            return None  # "Gold: sell now, close buy": the first side word is not the one it closes
        return [w for w in words if w.kind not in _SIDES]  # "Close all buys and sells": either
    return words


def _both_sides(words: list[Item]) -> bool:
    # "Close all buys and sells", "close buys/sells on gold": the two side words joined as one
    # object, nothing else naming a side; the close then takes either side.
    sided = [at for at, w in enumerate(words) if w.kind in _SIDES]
    if len(sided) != 2 or sided[1] - sided[0] != 2:
        return False
    joint = words[sided[0] + 1]
    return joint.kind == "join" and joint.text.lower() in _BOTH and _has(words, "close")


def read_command(items: list[Item], unspecified: bool = False) -> Command | None:
    """Return the follow-up a message gives, or None if it gives none.

    `unspecified`: the words were cut from an explanation ("movemos el sl para asegurar
    ganancias"), so a stop told to move with no level is still a modify (of no level yet).
    """
    if _has(items, "close"):
        items = as_verbs(unsaid(items))
        if level_list(items):
            return None  # "Close 33660 31500", "Exit: 0.212, 0.218": exit levels, no command
    words = _one_object(_words(items))
    if words is None:
        return None
    kinds = {w.kind for w in words}
    scope, symbol, side = _scope(words)
    if "close" in kinds:
        if "closed" in kinds or _exit_reached(words) or exit_planned(words):
            return None  # "Exit 2655 reached, trade closed in profit": a report of the exit
        fraction = share_of(items)
        if "unsized" in kinds and fraction == 1 and "all" not in kinds:
            return None  # "Book some profits": a part of the position, and how much is not said
        # "Close half, SL to BE" or "SL to breakeven and take partials": the stop moves either way.
        moved = _sl_to_entry(_after(items, "close")) or _sl_to_entry(_before(items, "close"))
        then = SlAnchor.ENTRY if moved else None
        # "Close half and move SL to 1.0860": the stop of what stays moves to that price.
        stop = None if moved else _levels(items, words)[0]
        return Command(
            action=Action.CLOSE,
            scope=scope,
            symbol=symbol,
            side=side,
            fraction=fraction,
            lots=lots_named(items) if fraction < 1 else None,
            sl=stop,
            then_sl_anchor=then,
            sl_offset_pips=entry_offset(items) if moved else None,
        )
    if "cancel" in kinds:
        return _cancel(words, scope, symbol, side)
    return _modify(items, words, scope, symbol, side, unspecified)


def _cancel(
    words: list[Item], scope: Scope, symbol: str | None, side: Side | None
) -> Command | None:
    if drops_level(words):
        return None  # "Delete TP2, hold for TP3": a target dropped, no order cancelled
    if scope is Scope.REPLY and _every_pending(words):
        scope = Scope.ALL  # "Delete pending orders": all of them, not one signal's
    return Command(action=Action.CANCEL, scope=scope, symbol=symbol, side=side)


def _every_pending(words: list[Item]) -> bool:
    # "Delete pending orders", "Cancel limit orders": pending orders named in the plural with no
    # determiner are every one the channel's signals left; "Cancel the pending orders" (of the
    # trade replied to) and "Cancel the limit order" stay with the signal replied to.
    plural = any(w.kind == "filler" and w.text.lower() == "orders" for w in words)
    pending = any(w.text.lower() == "pending" or w.kind in _PENDING_KINDS for w in words)
    named = any(w.kind == "filler" and w.text.lower() in _DETERMINERS for w in words)
    return plural and pending and not named


def _exit_reached(words: list[Item]) -> bool:
    at = next(i for i, word in enumerate(words) if word.kind == "close")
    following = words[at + 1 : at + 3]
    return any(word.kind == "hit" for word in following)


def _has(items: list[Item], kind: str) -> bool:
    # A plain loop: under half the cost of map(attrgetter) or of any() over a generator.
    for item in items:
        if item.kind == kind:
            break
    else:
        return False
    return True


def _after(items: list[Item], kind: str) -> list[Item]:
    at = next(i for i, item in enumerate(items) if item.kind == kind)
    return items[at + 1 :]


def _before(items: list[Item], kind: str) -> list[Item]:
    at = next(i for i, item in enumerate(items) if item.kind == kind)
    return items[:at]


def _modify(
    items: list[Item],
    words: list[Item],
    scope: Scope,
    symbol: str | None,
    side: Side | None,
    unspecified: bool,
) -> Command | None:
    anchor = _sl_to_tp(items)
    if anchor is None and (_sl_to_entry(items) or breakeven_told(items, words)):
        anchor = SlAnchor.ENTRY
    sl, tps, numbers = _levels(items, words)
    if anchor is SlAnchor.ENTRY and sl is not None and _price_told_last(items):
        anchor = None  # "TP1 hit, set breakeven — move SL to 4578": the price it names wins
    if anchor is SlAnchor.ENTRY and offset_unread(items):
        return None  # "SL to BE +150 pips": a level past the entry, not a breakeven: refused
    if anchor is None and sl is None and not tps:
        kinds = {w.kind for w in words}
        if not (unspecified and "move" in kinds and "sl" in kinds):
            return None
    return Command(
        action=Action.MODIFY,
        scope=scope,
        symbol=symbol,
        side=side,
        sl=None if anchor else sl,
        sl_anchor=anchor,
        sl_offset_pips=entry_offset(items) if anchor is SlAnchor.ENTRY else None,
        tps=tps,
        tp_numbers=numbers,
    )


def _price_told_last(items: list[Item]) -> bool:
    # After every breakeven word a verb moves the stop again, to a price ("… — move SL to 4578").
    last_entry = max((at for at, it in enumerate(items) if it.kind in _ENTRY_WORDS), default=-1)
    last_sl = max((at for at, it in enumerate(items) if it.kind == "sl"), default=-1)
    if last_sl < last_entry or not any(it.kind == "num" for it in items[last_sl + 1 :]):
        return False
    return any(it.kind == "move" for it in items[last_entry + 1 : last_sl])
