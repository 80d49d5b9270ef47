"""Edited follow-ups: which edit of a follow-up runs again, as its own intent (pure).

A channel corrects a follow-up by editing it ("Close half" → "Close all", "Move SL to 2645" →
"2648"). An edit whose command differs from its message's latest earlier command runs as its
own intent when running it again cannot do twice what the channel asked once: a command that
sets a state (close everything or a symbol, SL/TP to a price, SL to entry, cancel pending,
levels) ends where the edit says however often it runs; a relative one (close half, close N %)
runs only for a user no earlier version of the message closed anything for.
"""

from __future__ import annotations

from collections.abc import Sequence

from signal_copier.core.model import Action, Command

UNCHANGED = (
    "the channel edited this follow-up without changing what it says: it was acted on once, "
    "and is not run again"
)
REENTRY = (
    "the channel edited this message into a re-entry: an edited re-entry is not run again (it "
    "would open a second trade)"
)
STOP_PART_ONLY = (
    "the channel edited this follow-up after an earlier version of it had already closed: its "
    "partial close is not run again (it would take a part of what is left a second time); its "
    "stop change is"
)
RELATIVE_AFTER_CLOSE = (
    "the channel edited this follow-up into a partial close after an earlier version of it "
    "had already closed: not run again (it would take a part of what is left a second time)"
)


def refusal(command: Command, earlier: Sequence[Command]) -> str | None:
    """Return why an edited follow-up is not run again for anyone, or None to run it.

    `earlier`: the commands of its message's earlier versions, oldest first.
    """
    if command.action is Action.REENTER:
        return REENTRY
    # A re-entry's post edited into another instruction ("Cancelled") runs: it takes back the
    # trade that re-entry opened (core/fanout.py aims it at its own message).
    if not earlier or command == earlier[-1]:
        return UNCHANGED  # no earlier command known (stored before they were carried): as before
    return None


def is_relative(command: Command) -> bool:
    """Return whether running a command twice does more than running it once (a partial close)."""
    return command.action is Action.CLOSE and command.fraction is not None and command.fraction < 1


def stop_part(command: Command) -> Command | None:
    """Return the stop change of a partial close ("close half and move SL to entry"), or None.

    Setting a stop ends where the channel says however often it runs, so it may run again after
    the close that came with it already ran.
    """
    if not is_relative(command) or (command.sl is None and command.then_sl_anchor is None):
        return None
    return Command(
        action=Action.MODIFY,
        scope=command.scope,
        symbol=command.symbol,
        side=command.side,
        sl=command.sl,
        sl_anchor=command.then_sl_anchor,
        sl_offset_pips=command.sl_offset_pips,
        position_id=command.position_id,
    )
