"""The instruction clause of a message that also reports: "+50 pips⏎Close half", "I'm closing"."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import NamedTuple

from signal_copier.core.model import Action, Command, Scope
from signal_copier.core.parsing import moves, reasons
from signal_copier.core.parsing.clauses import UNDOING
from signal_copier.core.parsing.commands import breakeven_told, read_command
from signal_copier.core.parsing.fractions import share_before
from signal_copier.core.parsing.tokens import Item, scan
from signal_copier.core.parsing.verbs import as_verbs, unsaid

# A clause ends at a line, a sentence, "!", "|", a check mark or a bracket: "SPX500 | Update".
_CLAUSE_END = re.compile(r"[\n;!|()\[\]✅☑✔❌]|\.(?!\S)")
# What can begin an instruction: a verb, or "SL" in the verbless "SL to BE" / "SL entry pe rakho".
_STARTS = frozenset({"close", "cancel", "move", "protect", "sl"})
_GATE = _STARTS | {"breakeven"}
_ENDING = frozenset({"close", "cancel"})
# Told in the past ("SL was moved", "yesterday", "closed"): a report of what was done.
_TOLD = frozenset({"was", "recap", "closed"})
# A result or progress line: "+50 pips", "TP1 hit", "30% running".
_RESULT_UNITS = frozenset({"pips", "pct"})
# Words of a close that say what to close (a symbol, a side, how much): never left unread.
_BEARING = frozenset(
    {"sym", "num", "all", "half", "quarter", "third", "partial", "unsized", "buy", "sell", "close"}
)
_SIZES = frozenset({"all", "half", "quarter", "third", "partial", "unsized", "buy", "sell"})
_LINE_MARKS = " *_~`"  # chat markup around a line ("**CLOSE ALL NOW**")
_ADDRESS = frozenset({"filler", "list"})  # before an instruction: whom it is for, a comma
_MAX_UNKNOWN = 3  # unread words a modify may carry ("back up" in "moving my SL back up to 4042")
_MAX_ITEMS = 80  # a longer post is prose or a recap, never one instruction among reports


class Instruction(NamedTuple):
    """The command an instruction clause gives, and what each clause was read as."""

    command: Command
    items: list[Item]
    roles: tuple[str, ...]


def read_instruction(text: str, items: list[Item], question: bool) -> Instruction | None:
    """Return the one instruction among report and progress clauses, if the message gives one."""
    if question or len(items) > _MAX_ITEMS or not any(item.kind in _GATE for item in items):
        return None
    negated = False
    for item in items:  # a plain loop: most messages have none of these words
        if item.kind in UNDOING:
            if item.kind != "negation":
                return None  # "close if you want", "maybe close": nothing said is an order
            negated = True
    clauses = [c for c in (part.strip() for part in _CLAUSE_END.split(text)) if c]
    found = _located(text, clauses, items, negated)
    if found is None:
        return None
    at, clause_items, lead, command, core = found
    scoped = _scoped(command, core, items) if _lead(lead) else None
    if scoped is None:
        return None
    roles = _role_lines(clauses[:at], lead, clauses[at])
    unread = _unread(clause_items[len(lead) :], core)
    if unread:
        roles.append(f'"{" ".join(unread)}" → not read: words that change nothing here')
    return Instruction(command=scoped, items=core, roles=tuple(roles))


_Located = tuple[int, list[Item], list[Item], Command, list[Item]]


def _located(text: str, clauses: list[str], items: list[Item], negated: bool) -> _Located | None:
    # The instruction clause: after report, header or progress lines; after prose only when the
    # prose reported the trade closed and the instruction is a close line of its own.
    prose = closed = False
    for at, clause in enumerate(clauses):
        clause_items = scan(clause).items
        found = _instruction(clause_items)
        if found is None:
            if not _lead(clause_items):
                if not (prose or any(item.kind == "closed" for item in items)):
                    return None  # prose before any instruction, and no report of a closed trade
                prose = True
            closed |= any(item.kind == "closed" for item in clause_items)
            continue
        lead, command, core = found
        if prose and not (closed and _own_line(text, clause, lead, command)):
            return None  # prose before it: an instruction inside a story is no order
        if negated and not (prose and _told_before(clauses[at:])):
            return None  # "don't close": a negation undoes it (one in the report before is told)
        return at, clause_items, lead, command, core
    return None


def _unread(items: list[Item], core: list[Item]) -> list[str]:
    # The unknown words left out of the instruction; the verb of "Go risk free" was read as a move.
    words = [item.text for item in items if item.kind == "w"]
    if words and core and core[0].kind == "move" and core[0].text == words[0]:
        del words[0]
    return words


def _told_before(rest: list[str]) -> bool:
    # The negation stood in the report before the instruction ("the move did not follow through"),
    # not in the instruction or after it.
    return not any(item.kind == "negation" for clause in rest for item in scan(clause).items)


def _own_line(text: str, clause: str, lead: list[Item], command: Command) -> bool:
    # "We are no longer in this position …⏎CLOSE ALL OPEN TRADES NOW": after the report that
    # the trade is closed, a close that is a line of its own and begins with its verb stands.
    if lead or command.action is Action.MODIFY:
        return False
    clause = clause.strip(_LINE_MARKS)
    return any(line.strip(_LINE_MARKS) == clause for line in text.splitlines())


def _instruction(items: list[Item]) -> tuple[list[Item], Command, list[Item]] | None:
    begun = _begin(as_verbs(unsaid(items)))
    if begun is None:
        return None
    start, items = begun
    lead, rest = items[:start], items[start:]
    if any(item.kind in _TOLD for item in items) or _past(rest[0]):
        return None  # "SL was moved to entry earlier", "yesterday I moved my SL"
    if any(item.kind in _SIZES for item in lead):
        return None  # "kuch profit book karo": what comes before the verb says how much
    ending = any(item.kind in _ENDING for item in rest)
    core = _close_core(rest) if ending else _modify_core(rest)
    if core is None:
        return None
    share = share_before(lead) if ending else None
    if share is not None:
        core = [share, *core]  # "Gold me 50% book karo": the share before a verb-last close
    command = read_command(core)
    if command is None or (command.action is Action.MODIFY and not _changes(command)):
        return None
    return lead, command, core


def _begin(items: list[Item]) -> tuple[int, list[Item]] | None:
    # Where the instruction begins: its verb, the unknown verb of "Go risk free now" (read as a
    # move), or the whole clause when it is a verbless "Breakeven now" / "BE on gold".
    start = next((at for at, item in enumerate(items) if item.kind in _STARTS), None)
    if start is not None:
        return start, items
    start = _imperative_state(items)
    if start is not None:
        return start, [*items[:start], Item("move", items[start].text), *items[start + 1 :]]
    return (0, items) if breakeven_told(items) else None


def _imperative_state(items: list[Item]) -> int | None:
    # "Go risk free now", "Be risk free": an unknown first word, then the breakeven state it asks
    # (after words that only say who is meant: "for those still in, go risk free").
    first = next((at for at, item in enumerate(items) if item.kind not in _ADDRESS), None)
    if first is None or items[first].kind != "w":
        return None
    following = next((item for item in items[first + 1 :] if item.kind != "filler"), None)
    return first if following is not None and following.kind == "breakeven" else None


def _past(verb: Item) -> bool:
    # "moved", "shifted", "updated": an English past form narrates what was done.
    return verb.kind != "sl" and verb.text.lower().endswith("ed")


def _close_core(rest: list[Item]) -> list[Item] | None:
    # "I'm closing my trades now in strong profit", "close the rest and enjoy": the close is read
    # up to "now" or "and"; after it, words we cannot read only explain it, unless they name what
    # to close (then all must be read).
    ends = (_end(at, item) for at, item in enumerate(rest))
    end = next((at for at in ends if at is not None), len(rest))
    core, tail = rest[:end], rest[end:]
    if any(item.kind == "num" and not item.unit for item in core):
        return None  # "Exit: 1.30032" in a closed trade's report: a price, not an order
    if any(item.kind == "w" for item in core):
        return None  # "Close your charts and relax": the object is no trade
    if any(item.kind == "w" for item in tail):
        return None if any(item.kind in _BEARING for item in tail) else core
    return rest


def _end(at: int, item: Item) -> int | None:
    # Where a close's core ends: after "now" (it belongs to the close), before "and" (it begins
    # what follows; never the verb itself, at 0).
    if item.kind == "market":
        return at + 1
    return at if at and item.kind == "join" and item.text.lower() == "and" else None


def _modify_core(rest: list[Item]) -> list[Item] | None:
    # A move names its stop or target and the new level; a few unread words ("back up") between
    # them change neither.
    unknown = sum(1 for item in rest if item.kind == "w")
    if unknown > _MAX_UNKNOWN:
        return None
    if not unknown:
        return rest
    rest = moves.marked(rest)  # "từ 2640 lên 2650": the words say which price is left
    return [item for item in rest if item.kind != "w"]


def _changes(command: Command) -> bool:
    return command.sl is not None or command.sl_anchor is not None or bool(command.tps)


def _lead(items: list[Item]) -> bool:
    # What comes before the instruction is a result or progress line ("Running 50+ pips",
    # "Final Target Hit +480 Pip"), a header, words all read ("I'm", "To protect your capital"),
    # the event it acts before ("⚠️ NFP in 10 minutes — close all"), or a cheer ("Congrats!").
    if not any(item.kind == "w" for item in items):
        return True
    if any(
        item.kind in ("hit", "pips") or (item.kind == "num" and item.unit in _RESULT_UNITS)
        for item in items
    ):
        return True
    words = [word for item in items for word in item.text.lower().split()]
    # "🎉 Congrats! TP1 hit⏎SL to BE", "Bravo ! …": a cheer before it is a result line too.
    return reasons.warns(words) or reasons.cheers([i.text.lower() for i in items if i.kind == "w"])


def _scoped(command: Command, core: list[Item], items: list[Item]) -> Command | None:
    # The instruction names no symbol: the message's one symbol ("SPX500 | Update ⏎ … ⏎ Close the
    # position") says which; two different ones leave it unknown, so nothing is done.
    if command.scope is not Scope.REPLY or any(item.kind == "sym" for item in core):
        return command
    named = {item.raw for item in items if item.kind == "sym"}
    if not named:
        return command
    if len(named) > 1:
        return None
    return replace(command, scope=Scope.SYMBOL, symbol=named.pop())


def _role_lines(before: list[str], lead: list[Item], clause: str) -> list[str]:
    lines = [f'"{text}" → a report or header line, not an instruction' for text in before]
    if lead:
        said = " ".join(item.text for item in lead)
        lines.append(f'"{said}" → leads in to the instruction, not part of it')
    lines.append(f'"{clause}" → the instruction')
    return lines
