"""A signal restated above a follow-up: "XAUUSD BUY 2650 SL 2640 TP 2660⏎Move SL to 2655".

Channels repeat the trade a follow-up is about, then give the order on the last lines (or after
a " - ", " | " or a full stop on one line). Read whole,
such a message is a new trade (the restated levels) or a follow-up that takes a restated level
("Move SL to 2655" read with the "SL 2640" above it). Read apart, the head names the trade (its
symbol and side scope the command) and the tail is the order, with the levels its verbs move.

Only a tail that is a told order on its own lines splits the message: a plan under a signal
("Close half at TP1 and move SL to BE", "Close at 2660", "TP1 hit → close 50%") stays a part of
the signal, and a head that names two trades is refused, never guessed. A signal whose last line
says the trade is on already ("Still running") or corrects one of its levels ("Correction:
entry 2652") is no new trade either.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from signal_copier.core.model import Action, Command, Parse, Scope, Signal
from signal_copier.core.parsing import plans, prelude
from signal_copier.core.parsing.layout import STRONG_SIDES
from signal_copier.core.parsing.lexicon import ASCII_TOKEN, TOKEN, match
from signal_copier.core.parsing.naming import SIDES
from signal_copier.core.parsing.normalize import normalize
from signal_copier.core.parsing.openings import AMBIGUOUS
from signal_copier.core.parsing.segment import has_unspaced
from signal_copier.core.parsing.tokens import LEXICON, Item, Scan, scan
from signal_copier.core.parsing.verbs import take_share

Reader = Callable[[str], Parse]

# The words that make a line an order to a trade already open.
_ORDERS = frozenset({"close", "cancel", "move", "new", "breakeven", "protect"})
# A tail that says when ("if", "after TP1", "at 2660", "TP1 hit →") plans the trade, not now.
_PLANNED = frozenset({"conditional", "hedge", "negation", "beyond"})
_AT = frozenset({"at", "@", "around", "en"})  # "Close at 2660": where, not now
_ACTIONS = frozenset({Action.CLOSE, Action.MODIFY, Action.CANCEL})
# "SL to entry", "SL to 2655": a stop told where to go (not "SL - 2640", a level of the signal).
_TO = frozenset({"to", "a", "à", "auf", "ke", "до", "→", "➡"})
# A last line that only says the trade is still on: "Hold", "Keep holding 💪", "Still running".
_HOLDING = re.compile(
    r"(?i)\W*(?:still\s+|keep\s+)?(?:hold(?:ing)?|running|in\s+profit|floating)"
    r"(?:\s+(?:it|them|strong|tight|on|the\s+trades?))?(?:\s*\+\s*\d+\s*(?:pips?|points?))?[\W_]*"
)
# A last line that corrects a level of the signal above it: neither reading is sure.
# "Add TP2 2690" under it adds one: the restated trade is not opened again with it.
_CORRECTS = re.compile(
    r"(?i)\W*(?:(?:correction|corrected|typo|edit(?:ed)?|sorry)\b|add(?:ed)?\s+(?:tp|target))"
    r"(?=.*\d)"
)
_CORRECTED = "the last line corrects a level of the signal above it: nothing is done"
_FOLLOW_UP_WORDS = _ORDERS | {"filler", "market", "all", "p", "nl", "sym", "hit"}
_UNREAD = "follow-up words under the restated signal, not read as an order: nothing is done"
_STILL_OPEN = "the last line says the trade is open already: the signal is not a new trade"
# The words an order line can start a phrase with: a look at a line's words before it is
# scanned (most last lines of a signal hold none).
_STARTS = frozenset(
    first
    for first, entries in LEXICON.concepts.items()
    if any(kind in _ORDERS or kind == "sl" for _, kind in entries)
) | {"take"}
_TAKE_PROFIT = frozenset({"profit", "profits", "-", ":"})
# Only the first space of a run may start a separator: a run of spaces stays linear to search.
_INLINE = re.compile(r"(?<![^\S\n])[^\S\n]++[|—–←👈-][^\S\n]|(?<=[^\W_])\.[^\S\n]")
_SEPARATOR_MARKS = " \t\n|—–←👈-."
_MAX_TAIL = 3  # lines of a follow-up under the restated signal
_LAST_LINES = 6  # lines looked at from the end, blank ones too
_TWO_TRADES = "which restated trade the follow-up is about is not clear: nothing is done"


def restate(text: str, first: Parse, read: Reader) -> Parse:
    """Return the follow-up under a signal restated above it, or `first`."""
    if not (first.signals or first.command is not None):
        return first
    spans = _spans(text)
    if len(spans) < 2:
        return first
    lines = [text[start:end] for start, end in spans]
    at = _order_line(lines)
    if at is None:
        return _held(lines, first)
    return _split(text, spans[at][0], first, read)


def _split(text: str, cut: int, first: Parse, read: Reader) -> Parse:
    # The order from `cut` on, scoped to the trade the text before it restates.
    tail_text = text[cut:]
    if plans.has_plan(tail_text):
        return first
    tail = read(tail_text)
    command = tail.command
    if command is None:
        return _unread(tail_text, first)
    if command.levels_only or command.action not in _ACTIONS:
        return first
    if _planned(scan(tail_text), command):
        return first
    head = text[:cut].rstrip(_SEPARATOR_MARKS)
    signals = read(head).signals or _named(head)
    if not signals:
        return first
    trade = _trade(signals, command)
    scoped = None if trade is None else _scoped(command, trade)
    if trade is None or scoped is None:
        return Parse(reason=AMBIGUOUS, explain=(*tail.explain, _TWO_TRADES))
    note = f'"{trade.symbol} {trade.side.value}" restated above the follow-up → its scope'
    position = prelude.position_id(text)[1]  # a bot's update names its own position
    if position is not None:
        scoped = replace(scoped, scope=Scope.POSITION, position_id=position)
    return replace(tail, command=scoped, explain=(*tail.explain, note))


def _spans(text: str) -> list[tuple[int, int]]:
    # The message's last lines (the rest of it as one part before them), each cut at " | ",
    # " - " or a sentence's end: "XAUUSD BUY 2650 SL 2640 TP 2660 - Move SL to 2655".
    lines = text.rsplit("\n", _LAST_LINES)
    spans, begin = [], 0
    for at, line in enumerate(lines):
        end = begin + len(line)
        if (at or len(lines) <= _LAST_LINES) and _cuttable(line):  # the rest is never cut
            for found in _INLINE.finditer(text, begin, end):
                spans.append((begin, found.start()))
                begin = found.end()
        spans.append((begin, end))
        begin = end + 1
    return spans


def _cuttable(line: str) -> bool:
    # Substring searches first: the pattern's look-behinds cost a step per character.
    return (
        ". " in line
        or " - " in line
        or " | " in line
        or "— " in line
        or "– " in line
        or "← " in line
        or "👈 " in line
    )


def _unread(tail: str, first: Parse) -> Parse:
    # "…⏎Breakeven", "…⏎Secure profits": only words of a follow-up under the signal, none we
    # read as an order (a report? an order?); the trade is there already either way.
    if not first.signals or any(item.kind not in _FOLLOW_UP_WORDS for item in scan(tail).items):
        return first  # "Protect your capital ❤️", "Close trades at your own risk": a footer
    return Parse(reason=AMBIGUOUS, explain=(*first.explain, _UNREAD))


def _held(lines: list[str], first: Parse) -> Parse:
    # "XAUUSD BUY 2650 SL 2640 TP 2660⏎Still running 💪": the trade is open already; read as a
    # new post it would be opened twice (an edit of the signal's own post changes nothing).
    last = next((line for line in reversed(lines) if line.strip()), "")
    if not first.signals:
        return first
    if _HOLDING.fullmatch(last) is not None:
        return Parse(reason="status", explain=(*first.explain, _STILL_OPEN))
    if _CORRECTS.match(last) is not None:  # "…⏎Correction: entry 2652": which level holds?
        return Parse(reason=AMBIGUOUS, explain=(*first.explain, _CORRECTED))
    return first


def _order_line(lines: list[str]) -> int | None:
    # The first of the last few written lines that gives an order; never the first line.
    first = next((at for at, line in enumerate(lines) if line.strip()), len(lines))
    found, looked, at = None, 0, len(lines)
    while looked < _MAX_TAIL and at - 1 > first:  # a loop that stops: posts can be long
        at -= 1
        if not lines[at].strip():
            continue
        looked += 1
        if not _may_order(lines[at]):
            continue  # "TP2: 2670", "Risk 1%": the common last lines, no order word (no scan)
        if _orders(take_share(scan(lines[at]).items)):  # "Take 50% now" closes a half
            found = at
    return found


def _may_order(line: str) -> bool:
    if line.isascii():
        words = ASCII_TOKEN.split(line.lower())[1::2]
    elif _latin(line):  # "🎯 TP2: 2670": marks around Latin words, read as the ASCII line
        words = ASCII_TOKEN.split(line.encode("ascii", "replace").decode().lower())[1::2]
    elif has_unspaced(line):
        return True  # "黄金平仓": its words are found by the scan's segmenter only
    else:
        words = TOKEN.split(normalize(line, _unknown).lower())[1::2]
    return any(_order_at(words, at) for at, word in enumerate(words) if word in _STARTS)


def _latin(line: str) -> bool:
    return all(char.isascii() for char in line if char.isalpha())


def _order_at(words: list[str], at: int) -> bool:
    # An order phrase ("move", "risk free"; not "risk 1%"), a stop told where ("SL to 2655"),
    # or a share taken ("Take 50% now"; not "Take profit: 2660").
    if words[at] == "take":
        return at + 1 < len(words) and words[at + 1] not in _TAKE_PROFIT
    found = match(LEXICON.concepts, words, at)
    if found is None:
        return False
    kind, size = found
    return kind in _ORDERS or (kind == "sl" and at + size < len(words) and words[at + size] in _TO)


def _unknown(_word: str) -> bool:
    return False


def _orders(items: list[Item]) -> bool:
    if any(item.kind in _ORDERS for item in items):
        return True
    words = [item for item in items if item.kind != "p"][:2]
    return len(words) == 2 and words[0].kind == "sl" and words[1].text.lower() in _TO


def _planned(scanned: Scan, command: Command) -> bool:
    # "Close at 2660", "Move SL to BE at TP1", "Close half if TP1": a condition or a level to
    # act at; a target named beside a close or a stop move is where the step happens.
    # A target reported hit ("TP1 hit, move SL to 2655") is no condition: it tells why; "now" or
    # a gain figure makes the level the price it is done at ("Close now at 2675 +50 pips").
    # "at +30 pips" is a distance to run first, "now" or no.
    items = scanned.items
    now = scanned.gain or any(item.kind == "market" for item in items)
    if any(
        item.kind in _PLANNED
        or (item.kind == "entry_weak" and item.text.lower() in _AT and not now)
        or _at_distance(items, at)
        for at, item in enumerate(items)
    ):
        return True
    if any(_gain_condition(items, at) for at in range(len(items) - 1)):
        return True
    aimed = any(item.kind == "tp" and not _reported(items, at) for at, item in enumerate(items))
    if command.action is Action.CLOSE:
        return aimed or (not now and any(item.kind == "num" and not item.unit for item in items))
    return command.action is Action.MODIFY and aimed and not command.tps and not command.sl_anchor


def _at_distance(items: list[Item], at: int) -> bool:
    # "Close half at +30 pips", "Set breakeven at +15 pips": when the trade has run that far.
    item = items[at]
    if item.kind != "entry_weak" or item.text.lower() not in _AT or at + 1 >= len(items):
        return False
    following = items[at + 1]
    return following.kind == "num" and following.unit in ("pips", "signed", "pct")


def _gain_condition(items: list[Item], at: int) -> bool:
    # "Move SL to BE 20 pips in profit": a distance the trade must run first.
    item, following = items[at], items[at + 1]
    return item.unit == "pips" and following.kind == "filler" and following.text.lower() == "in"


def _reported(items: list[Item], at: int) -> bool:
    following = next((it for it in items[at + 1 :] if it.kind not in ("num", "p")), None)
    return following is not None and following.kind == "hit"


def _named(head: str) -> tuple[Signal, ...]:
    # A head read as a report ("XAUUSD BUY 2650⏎TP1 2660 ✅ +100 pips⏎…") still names the trade
    # when it names one symbol and one side word.
    items = scan(head).items
    symbols = {item.raw for item in items if item.kind == "sym"}
    sides = {SIDES[item.kind][0] for item in items if item.kind in STRONG_SIDES}
    if len(symbols) != 1 or len(sides) != 1:
        return ()
    return (Signal(symbol=symbols.pop(), side=sides.pop()),)


def _trade(signals: tuple[Signal, ...], command: Command) -> Signal | None:
    # The one trade the head restates (several signals of one symbol and side are one trade),
    # or of several, the one the order names ("GOLD BUY …⏎EURUSD SELL …⏎Close gold").
    if len({(s.symbol, s.side) for s in signals}) == 1:
        return signals[0]
    named = [s for s in signals if s.symbol == command.symbol and command.side in (None, s.side)]
    return named[0] if len({(s.symbol, s.side) for s in named}) == 1 else None


def _scoped(command: Command, trade: Signal) -> Command | None:
    if command.symbol is not None and command.symbol != trade.symbol:
        return None
    if command.side is not None and command.side is not trade.side:
        return None
    if command.scope is Scope.POSITION:
        return command
    return replace(command, scope=Scope.SYMBOL, symbol=trade.symbol, side=trade.side)
