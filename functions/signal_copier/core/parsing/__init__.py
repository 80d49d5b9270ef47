"""Read a channel message as opening signals, a follow-up command, or nothing (with a reason)."""

from __future__ import annotations

import re
from dataclasses import replace
from functools import partial

from signal_copier.core.model import Action, Command, Parse, Scope, Signal
from signal_copier.core.parsing import (
    clauses,
    commands,
    completion,
    instructions,
    magnitude,
    offsets,
    openings,
    plans,
    pointed,
    prelude,
    prose,
    quotes,
    reasons,
    reentry,
    rereads,
    restated,
    scale,
    status,
    told,
)
from signal_copier.core.parsing.context import Context, read_context
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.labels import to_label
from signal_copier.core.parsing.normalize import MAX_CHARS
from signal_copier.core.parsing.reader import MAX_SIGNALS, Reader
from signal_copier.core.parsing.tokens import Item, Scan, scan
from signal_copier.core.parsing.verbs import take_share

__all__ = ["parse", "to_label"]

_STRUCTURAL = frozenset({"no_symbol", "no_side", openings.AMBIGUOUS})
_MOVERS = frozenset({"move", "new", "protect"})
_ASKED = re.compile(r"[^.!?\n]*\?+")  # a clause that ends in a question mark
_ASKED_NOTE = '"?" → the command is asked, not told: nothing is done'
_TOO_MANY = f"more than {MAX_SIGNALS} signals in one message: none of them is read"
_UNSIZED = "a part of the position is to be closed, but how much is not said: nothing is done"
_TWICE = "the same signal written twice: one trade"
_NAMES_TRADE = 'the side word names a trade already open ("on the gold buy"): no new order'


def parse(text: str) -> Parse:
    """Return what `text` asks for: opening signals, one follow-up command, or nothing."""
    text = text[:MAX_CHARS]
    found = restated.restate(text, _reread(text), _reread)
    return status.checked(pointed.restate(text, found, _reread), text)


def _reread(text: str) -> Parse:
    found = rereads.reread(text, _read(text), _read)
    # "GOLD BUY NOW SL $10 TP $20": exits told in money are refused as such before any rescaling;
    # "Gold buy 2.650 SL 2.640": read again with the separators the other way, then the floors.
    money = scale.in_money(found, text)
    return (
        money if money is not None else scale.checked(magnitude.checked(found, text, _read), text)
    )


def _read(text: str) -> Parse:
    # One reading of the text as written (rereads tries the formats it misses).
    text, position = _prepared(text)
    scanned = scan(text)
    items = scanned.items
    quoted: list[str] = []  # a literal: list[str]() builds a generic alias per message first
    if quotes.may_quote(scanned.words):  # "Current price 4344.8" beside "Entry 4344-4345"
        items, quoted = quotes.unquoted(items)
    if commands.names_open_trade(scanned.items):  # "SL 18220 for the NAS buy": never an opening
        followed = _follow_up(text, scanned, position)
        return followed or Parse(reason=reasons.classify(scanned), explain=(_NAMES_TRADE,))
    reader = Reader(items)
    blocks = reader.read()
    if reader.overflow:
        return Parse(reason="too_many_signals", explain=(_TOO_MANY,))
    signals, explain, refusals = _openings(blocks, text, scanned, reader.labels, position)
    explain = [*quoted, *explain]
    if signals:
        return _opened(signals, explain, text, items, blocks, position)
    # "Buy again, same SL and TP": a new trade on a known signal, never a change to its trade.
    again = None if position is not None else reentry.read_reentry(text, items, blocks)
    if again is not None:
        return again
    # A signal missing its symbol must not be read as "change the SL/TP of the replied trade".
    followed = None if refusals else _follow_up(text, scanned, position)
    if followed is None and not refusals and position is None:
        followed = completion.read_levels_only(text, items, blocks)
    if followed is not None:
        return followed
    if not refusals and _unsized(scanned.items):
        return Parse(reason=openings.AMBIGUOUS, explain=(_UNSIZED,))
    reason = refusals[0] if refusals else reasons.classify(scanned)
    if scanned.question and commands.read_command(scanned.items) is not None:
        explain.append(_ASKED_NOTE)
    return Parse(reason=reason, explain=tuple(explain or _first_block(blocks)))


def _opened(
    signals: list[Signal],
    explain: list[str],
    text: str,
    items: list[Item],
    blocks: list[Block],
    position: str | None,
) -> Parse:
    if position is None and not any(map(_levelled, signals)):
        # "Sell gold again now": a repeat of the known signal (its stop and targets), never a
        # bare order of no stop
        again = reentry.read_reentry(text, items, blocks)
        if again is not None and again.command is not None:
            return again
    if any(scale.unplaced(signal, items) for signal in signals):
        return Parse(reason=openings.AMBIGUOUS, explain=(*explain, scale.UNPLACED))
    unique = tuple(dict.fromkeys(signals))  # the same signal written twice is one trade
    if len(unique) < len(signals):
        explain = [*explain, _TWICE]
    return Parse(signals=unique, explain=tuple(explain))


def _prepared(text: str) -> tuple[str, str | None]:
    # Reply/forward headers go; a bot's update gives its position id ("Position: 9a1f02c4").
    if text[:1] in prelude.HEADER_STARTS:
        text = prelude.strip_header(text)
    if "+" in text or "ock" in text or "OCK" in text:
        text = offsets.locked(text)  # "Move stop to +20 pips": to the entry, 20 pips beyond
    if "osition" in text or "icket" in text or "OSITION" in text or "ICKET" in text:
        return prelude.position_id(text)
    return text, None


def _openings(
    blocks: list[Block], text: str, scanned: Scan, labels: set[int], position: str | None
) -> tuple[list[Signal], list[str], list[str]]:
    # The signals of the blocks, their explanation, and why signal-like blocks were refused.
    context: Context | None = None  # read once a block names a symbol and a side
    signals: list[Signal] = []
    explain: list[str] = []
    refusals: list[str] = []
    for block in blocks:
        side, strong, why = openings.named(block)
        signal = None
        if side is not None:
            if context is None:
                context = _context(text, scanned, labels)
            narrow = partial(prose.narrow, text, scanned, labels)
            signal, why = openings.build(block, side, strong, context, narrow)
        if signal is not None:
            signals.append(replace(signal, position_id=position) if position else signal)
            explain.extend(block.explain)
        elif block.has_levels and _signal_like(block, why, scanned.items):
            refusals.append(why)
    return signals, explain, refusals


def _follow_up(text: str, scanned: Scan, position: str | None) -> Parse | None:
    if scanned.question:  # "Close all?": asking is not telling; "Close all? Yes, close now" tells
        text = _ASKED.sub("\n", text)
        scanned = scan(text)
    items = take_share(scanned.items)
    command = commands.read_command(items)
    if command is None:
        command = clauses.read_leading_command(text, scanned.items)
    if command is not None:
        return _command(_reported(command, text, scanned), position, items)
    # "Final Target Hit +480 Pip⏎Close the position fully": the instruction under the result;
    # never in an advert ("Book now, limited seats").
    told = instructions.read_instruction(text, scanned.items, scanned.question)
    if told is None or reasons.sells(scanned):
        return None
    return _command(_reported(told.command, text, scanned), position, told.items, told.roles)


def _reported(command: Command, text: str, scanned: Scan) -> Command:
    # "TP1 hit ✅ move SL to entry": a stop change told with a result; the move is over for an
    # entry still waiting (a plan step, "TP1 hit → SL to entry", reports nothing).
    if command.action is not Action.MODIFY or not _context(text, scanned, set()).report:
        return command
    return replace(command, report=True)


def _context(text: str, scanned: Scan, labels: set[int]) -> Context:
    context = read_context(scanned, labels)
    if prose.ticked_level(text):  # "TP 1.0900 ✅": a level reported reached
        return context._replace(report=True)
    if (
        context.report
        and plans.has_plan(text)
        and not read_context(scan(plans.without_plan(text))).report
    ):
        return context._replace(report=False)  # "TP1 hit → close 50%": a plan step, no result
    return context


_QUIET = frozenset({"nl", "p", "w", "list", "join", "date"})


def _command(
    command: Command, position: str | None, items: list[Item], roles: tuple[str, ...] = ()
) -> Parse:
    if position is not None:  # a bot's update names its own position
        command = replace(command, scope=Scope.POSITION, position_id=position)
    lines = [*roles] + [
        f'"{i.text}" → {i.kind} ({_UNITS.get(i.unit, i.unit)})'
        if i.unit
        else f'"{i.text}" → {i.kind}'
        for i in items
        if i.kind not in _QUIET
    ]
    if position is not None:
        lines.append(f'"{position}" → position_id')
    return Parse(command=command, reason=command.action.value, explain=tuple(lines))


# "3402.75" in "SL: 3391.20 ← 3402.75" is the value replaced: the explain line says so.
_UNITS = {
    "old": "the value replaced",
    "idx": "a list number",
    "pct": "%",
    "ratio": "a risk:reward ratio, not a level",
}


def _signal_like(block: Block, why: str, items: list[Item]) -> bool:
    # Levels plus a side (or a symbol and a stop with no verb that moves it): a signal we could not
    # complete, so say why. "EURUSD⏎Set SL: 1.0870" moves a stop, so it may be a follow-up.
    if why not in _STRUCTURAL:
        return False
    if block.sides:
        return True
    if block.symbol is None or block.sl is None:
        return False
    return not any(item.kind in _MOVERS for item in items) and not told.stop_told(items)


def _unsized(items: list[Item]) -> bool:
    # "Take some profit off the table", "Book some profits": a close of a part not sized.
    told = any(
        i.kind == "close" or (i.kind == "filler" and i.text.lower() == "take") for i in items
    )
    return told and any(item.kind == "unsized" for item in items)


def _levelled(signal: Signal) -> bool:
    return bool(signal.sl is not None or signal.tps or signal.entry or signal.entry_range)


def _first_block(blocks: list[Block]) -> list[str]:
    return blocks[0].explain if blocks else []
