"""A re-entry becomes an opening of its own: what it wrote, completed from the signal it repeats.

"Buy again, same SL and TP", "Add more at 2645", "Re-enter ✅ SL 1.0810 TP 1.0900" are read as
a REENTER command (core/parsing/reentry.py). The engine finds the signal it refers to with the
follow-ups' targeting rules (services/about.py) and asks here what to open: the re-entry's own
levels and entry where it wrote them, the signal's symbol, side, stop and targets where it did
not. Never the signal's entry: "again" is now, at market, unless the re-entry names a price
("add more at 2645"), which it waits for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from signal_copier.core import ids
from signal_copier.core.completion import misfit, misfit_at
from signal_copier.core.late_opening import merged_targets
from signal_copier.core.model import Action, Command, OrderType, Signal
from signal_copier.core.precedence import about_signal, closed_by
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord
from signal_copier.core.symbol_map import same_instrument


@dataclass(frozen=True, slots=True, kw_only=True)
class Refusal:
    """Why a re-entry opens nothing."""

    reason: Reason
    detail: str


def is_reentry(command: Command | None) -> bool:
    """Return whether a command is a re-entry (a new trade, not a change to one)."""
    return command is not None and command.action is Action.REENTER


def reopened(command: Command, signal: Signal) -> Signal | Refusal:
    """Return the signal a re-entry opens, or why not (its side or symbol is not the signal's)."""
    if command.side is not None and command.side is not signal.side:
        detail = f"it says {command.side} again, but the signal it repeats is a {signal.side}"
        return Refusal(reason=Reason.REENTRY_MISMATCH, detail=detail)
    if command.symbol is not None and not same_instrument(command.symbol, signal.symbol):
        detail = f"it names {command.symbol}, but the signal it repeats is on {signal.symbol}"
        return Refusal(reason=Reason.REENTRY_MISMATCH, detail=detail)
    own_levels = command.sl is not None or bool(command.tps)
    priced = command.entry is not None or command.entry_range is not None
    if not priced and command.order_type is not None:  # "Buy limit again": at the signal's price
        entry, zone = signal.entry, signal.entry_range
    else:
        entry, zone = command.entry, command.entry_range
    # "Add more at 2645" names a better price to add at: wait for it (planning still takes it
    # at market when the price is already there or better, or within the broker's stops level).
    implied = OrderType.LIMIT if priced else OrderType.MARKET
    opened = replace(
        signal,
        order_type=command.order_type or implied,
        entry=entry,
        entry_range=zone,
        order_type_implicit=priced and command.order_type is None,
        sl=signal.sl if command.sl is None else command.sl,
        sl_pips=signal.sl_pips if command.sl is None else None,
        tps=command.tps or signal.tps,
        tp_pips=signal.tp_pips if not command.tps else (),
        tp_open=signal.tp_open if not command.tps else False,
        # The parser's flags judged the signal's own levels; new ones are judged by the guards.
        flags=() if own_levels else signal.flags,
        position_id=None,
    )
    return _judged(opened) if priced or own_levels else opened


def _judged(opened: Signal) -> Signal | Refusal:
    # Levels and an entry that did not come together in one message are judged together, at
    # each edge of the entry, as the parser judges a signal's own: a stop inside the zone refuses.
    edges = opened.entry_range or (() if opened.entry is None else (opened.entry,))
    levels = Command(action=Action.MODIFY, sl=opened.sl, tps=opened.tps)
    for edge in edges:
        found = misfit_at(levels, opened.side, edge)
        if found is not None:
            return Refusal(reason=found.reason, detail=found.detail)
    return opened


def cancelled(signal_id: int, signal: Signal, between: Sequence[MessageRecord]) -> int | None:
    """Return the id of a cancel the channel posted about the signal before the re-entry.

    `between` are the chat's messages posted after the signal and before the re-entry. A close
    does not count: closing and then re-entering is what a re-entry is for.
    """
    cancels = [r for r in between if r.command is not None and r.command.action is Action.CANCEL]
    return closed_by(signal_id, signal, cancels) if cancels else None


def completed(
    head: MessageRecord, signal: Signal, between: Sequence[MessageRecord], window_s: int
) -> Signal:
    """Return the signal with the levels its levels-only messages completed it with.

    "BUY NOW @ 2650" then "SL 2640 TP1 2660": the signal's levels are those, for a re-entry's
    "same SL and TP" as for its own trade. `head` is the signal's post as last stored and
    `between` the chat's messages after it and before the re-entry. A levels-only message counts
    as it does on the signal's trade: about the signal, within `window_s` of its post, with
    levels on the signal's side; one posted before the signal's last edit only fills what the
    edit left without a level (the edit is the channel's later word).
    """
    newest: dict[int, MessageRecord] = {}
    for record in between:
        if record.message_id not in newest or record.version > newest[record.message_id].version:
            newest[record.message_id] = record
    posted = head.posted or head.date
    edited = ids.version_made(head.version) if head.version else None
    for number in sorted(newest) if window_s else ():
        record = newest[number]
        command = record.command
        if command is None or not command.levels_only or record.deleted:
            continue
        at = record.posted or record.date
        in_time = at - posted <= timedelta(seconds=window_s)
        fits = misfit(command, signal, ()) is None
        if in_time and fits and about_signal(record, head.message_id, signal, newest):
            signal = _with_levels(signal, command, only_missing=_before(at, edited))
    return signal


def _before(at: datetime, edited: datetime | None) -> bool:
    return edited is not None and at < edited


def _with_levels(signal: Signal, command: Command, *, only_missing: bool) -> Signal:
    # The levels a levels-only message sets, read as they were for the signal's own trade: its
    # SL, and its TPs (a list unclear in its numbering sets no target, as on an open trade).
    has_sl = signal.sl is not None or signal.sl_pips is not None
    if command.sl is not None and not (only_missing and has_sl):
        signal = replace(signal, sl=command.sl, sl_pips=None)
    if command.tps and not (only_missing and (signal.tps or signal.tp_pips)):
        tps = merged_targets(signal.tps, command)
        if not isinstance(tps, str):
            signal = replace(signal, tps=tps, tp_pips=(), tp_open=False)
    return signal
