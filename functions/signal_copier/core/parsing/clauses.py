"""A command that opens a message, followed by words that only explain it."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

from signal_copier.core.model import Action, Command, Scope
from signal_copier.core.parsing.commands import SILENT, read_command
from signal_copier.core.parsing.fractions import KEPT_UNSIZED, kept, share_aside, written_share
from signal_copier.core.parsing.reasons import sells
from signal_copier.core.parsing.symbols import ticker_shaped
from signal_copier.core.parsing.tokens import TABLE, Item, scan
from signal_copier.core.parsing.verbs import as_verbs, level_list

_ONE = Decimal(1)
_IMPERATIVES = frozenset({"close", "cancel", "move"})
# A clause after the command may explain it ("price is moving against us") but not undo it.
# Words that make what is said no order: "don't close", "close if you want", "maybe close".
UNDOING = frozenset({"negation", "conditional", "hedge", "veto"})
# A pictograph between words ends a clause as a comma does: "Close half 💰 price reacting".
_PICTOGRAPHS = "\U0001f300-\U0001faff"
_CLAUSE_MARKS = ",;!✅☑✔❌.\n\t 💰💵🔥🚀👀✂️🏃💸📉📈"
_CLAUSE_END = re.compile(rf"[,;!✅☑✔❌\n{_PICTOGRAPHS}]|\.(?!\S)")
# Inside the command's clause, an aside begins at a bracket or a gain figure: "Cerramos rango
# corto (no reentrar) +80pips", "Cerramos todo +170 pips del promedio".
_ASIDE_START = re.compile(r"\(|\+ ?\d")
_BRACKETED = re.compile(r"\([^()\n]*\)")
# "Order cancelled, price ran away", "+30pips ✅ y movemos el sl": filler words, a result figure
# or a joining word may stand before the verb.
# "Gold buy limit cancelled, price ran away": the pending order named before the verb.
_PENDING = frozenset({"buy_limit", "sell_limit", "buy_stop", "sell_stop"})
_LEADING_QUIET = SILENT | {"filler", "sym", "join"} | _PENDING
# Verb-last languages name what is closed first: "Alles schließen, …", "Sab close karo, …".
# A bot's header names what it acts on first: "⚠️ SIGNAL CANCELLED", "Setup cancelled".
_BEFORE_VERB = _LEADING_QUIET | {"all", "half", "quarter", "third", "skip_line", "noise"}
_TOLD_TO = frozenset({"to", "at", "@"})
_MAX_TICKER = 5  # letters of a lower-case word read as a ticker in "Close algo"


def read_leading_command(text: str, items: list[Item]) -> Command | None:
    """Return the command that opens `text` when the words after it only explain it."""
    bare = _close_ticker(items)
    if bare is not None:
        return bare
    if not _imperative(items) or level_list(as_verbs(items)):
        return None  # "Exit: 0.212, 0.218": a list of exit levels, not "exit" with a comment
    head, rest = _first_clause(text)
    while rest and _quiet_lead(scan(head).items):
        head, rest = _first_clause(rest)  # "Binance Futures⏎#WAVES/USDT Cancelled ❌⏎…"
    command, aside = _cut(head)
    if not (rest or aside) or not _imperative(command) or _signed_level(command, aside):
        return None
    found = read_command(command, unspecified=bool(aside))
    if found is None:
        return None  # no command in the clause: what follows it is not worth reading
    explained = scan(_BRACKETED.sub(" ", f"{aside} {rest}"))
    # A cancel is explained by what did not happen ("price did not reach the entry", "no trade
    # was triggered"): a negation there tells why, it undoes nothing.
    told_why = found.action is Action.CANCEL
    if any(
        item.kind in UNDOING and not (told_why and item.kind == "negation")
        for item in explained.items
    ) or sells(explained):
        return None  # "Close if you want"; "Book now, limited seats" (an advert, not an order)
    return _named(found, rest) if told_why else _sized(found, command, explained.items)


def _sized(command: Command, told: list[Item], explained: list[Item]) -> Command | None:
    # "Take partials here, 25% off": a partial close whose clause writes no share takes the share
    # the clause after it gives. "Close gold, leave 20% running": the share is what is not kept;
    # "…, leave 0.01 running" keeps a part no share says: nothing is closed rather than all.
    if command.action is not Action.CLOSE or command.fraction is None:
        return command
    if command.fraction >= 1:
        part = kept(explained)
        if part is None:
            return command
        return None if part == KEPT_UNSIZED else replace(command, fraction=_ONE - part)
    if command.lots is not None or written_share(told) is not None:
        return command  # "Close 0.3 lots, 25% off": two sizes, the first one told stands
    share = share_aside(explained)
    return command if share is None else replace(command, fraction=share)


def _named(command: Command, rest: str) -> Command:
    # "⚠️ SIGNAL CANCELLED⏎EURUSD | M15⏎…": a clause right after the header that only names one
    # symbol names the order cancelled.
    if command.scope is not Scope.REPLY:
        return command
    items = scan(_first_clause(rest)[0]).items
    named = {item.raw for item in items if item.kind == "sym"}
    if len(named) != 1 or not all(item.kind in _LEADING_QUIET for item in items):
        return command
    return replace(command, scope=Scope.SYMBOL, symbol=named.pop())


def _cut(head: str) -> tuple[list[Item], str]:
    # The command's own words, and the aside that explains it in the same clause: from a
    # bracket, a gain figure or a word that starts an explanation ("with", "para", "because").
    found = _ASIDE_START.search(head)
    while found is not None and found.group()[0] == "+" and _at_entry(head[: found.start()]):
        found = _ASIDE_START.search(head, found.end())  # "SL to BE + 2 pips": a stop, no gain
    aside = ""
    if found is not None and found.start() > 0:
        head, aside = head[: found.start()], head[found.start() :]
    items = scan(head).items
    for at, item in enumerate(items):
        if at and item.kind == "aside":
            words = " ".join(i.text for i in items[at:])
            return items[:at], f"{words} {aside}"
    return items, aside


def _signed_level(command: list[Item], aside: str) -> bool:
    # "Move SL to +20": the place the stop goes is a signed figure of no unit (pips? dollars?),
    # not an aside; the order is unread rather than a move to nowhere.
    return aside[:1] == "+" and bool(command) and command[-1].text.lower() in _TOLD_TO


def _at_entry(text: str) -> bool:
    items = scan(text).items
    return bool(items) and items[-1].kind in ("breakeven", "entry")


def _close_ticker(items: list[Item]) -> Command | None:
    # "Close TRB", "Close algo": a close verb and one ticker-shaped word, nothing else.
    words: list[Item] = []
    for item in items:  # a loop that stops at a third word: most messages are longer
        if item.kind not in ("nl", "p"):
            if len(words) == 2:
                return None
            words.append(item)
    if len(words) != 2 or words[0].kind != "close" or words[1].kind != "w":
        return None
    word = words[1].text
    lower = word.isalpha() and word.islower() and 2 <= len(word) <= _MAX_TICKER
    if not (lower or ticker_shaped(word)) or word.lower() in TABLE.not_tickers:
        return None  # "Close today", "CLOSE MORE": a word, not a coin
    return Command(action=Action.CLOSE, scope=Scope.SYMBOL, symbol=word.upper(), fraction=_ONE)


def _imperative(items: list[Item]) -> bool:
    first = next((item for item in as_verbs(items) if item.kind not in _BEFORE_VERB), None)
    return first is not None and first.kind in _IMPERATIVES


def _quiet_lead(items: list[Item]) -> bool:
    # A clause with no order in it, only words that may come before one: read on past it.
    return not _imperative(items) and all(item.kind in _LEADING_QUIET for item in items)


def _first_clause(text: str) -> tuple[str, str]:
    text = text.strip(_CLAUSE_MARKS)  # "✅ Close all now ✅": marks around the message end nothing
    found = _CLAUSE_END.search(text)
    if found is None:
        return text, ""
    return text[: found.start()], text[found.end() :]
