"""A channel's report of a result ("TP1 hit ✅", "Closed in profit") replying to its signal.

The parser reads the text alone and calls it a result: no trade. Replying to a signal it tells
that the signal's move is over, so what of it still waits to be entered must not be entered
later. A report that replies to nothing names no signal and changes nothing.
"""

from __future__ import annotations

from signal_copier.core.model import Action, Command, Parse, Scope

RESULT = "result"  # the parser's reason for a message that reports how a trade went
REPORTED = (
    "the channel reported a result on this signal (message {message}): the move is over, so "
    "its entry still waiting is cancelled rather than filled into a finished trade"
)
REPORTED_WITH_CHANGE = (
    "the channel reported a result with this change: the move is over, so the entry still "
    "waiting is cancelled rather than filled into a finished trade"
)


def as_report(parsed: Parse, reply_to: int | None) -> Parse:
    """Return a result replying to a message as a cancel of that signal's unfilled entries."""
    if reply_to is None or parsed.kind != "none" or parsed.reason != RESULT:
        return parsed
    command = Command(action=Action.CANCEL, scope=Scope.REPLY, report=True)
    return Parse(command=command, reason=RESULT, explain=parsed.explain)
