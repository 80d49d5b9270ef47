"""An edit that arrives after a later follow-up never undoes what that follow-up set."""

from decimal import Decimal as D

from builders import make_intent, position
from signal_copier.core.followups import Operation
from signal_copier.core.model import (
    Action,
    Change,
    ChangeKind,
    Command,
    IntentKind,
    Status,
    TradeResult,
)
from signal_copier.core.precedence import keep_later_follow_ups
from signal_copier.core.records import TradeRecord


def _applied(command: Command, *targets: str) -> TradeRecord:
    intent = make_intent(kind=IntentKind.COMMAND, signal=None, command=command)
    changes = tuple(Change(kind=ChangeKind.TP, target=t) for t in targets)
    result = TradeResult(intent_id="c", user_id="u1", status=Status.APPLIED, changes=changes)
    return TradeRecord(intent=intent, result=result)


def test_an_edit_keeps_the_tp_a_later_follow_up_set_but_applies_its_sl() -> None:
    held = position("7", "scA.0", sl=D("2640"), tp=D("2670"))
    later = [_applied(Command(action=Action.MODIFY, tps=(D("2670"),)), "7")]
    edit = Operation(kind=ChangeKind.SL, target="7", sl=D("2645"), tp=D("2663"))

    (kept,) = keep_later_follow_ups([edit], later, [held])

    assert (kept.sl, kept.tp) == (D("2645"), D("2670"))


def test_an_edit_that_would_only_undo_a_later_follow_up_sends_nothing() -> None:
    held = position("7", "scA.0", sl=D("2640"), tp=D("2670"))
    later = [_applied(Command(action=Action.MODIFY, tps=(D("2670"),)), "7")]
    edit = Operation(kind=ChangeKind.TP, target="7", sl=D("2640"), tp=D("2663"))

    assert keep_later_follow_ups([edit], later, [held]) == []


def test_positions_no_later_follow_up_touched_get_the_edit() -> None:
    held = position("8", "scA.1", sl=D("2640"), tp=D("2660"))
    later = [_applied(Command(action=Action.MODIFY, tps=(D("2670"),)), "7")]
    edit = Operation(kind=ChangeKind.TP, target="8", sl=D("2640"), tp=D("2663"))

    assert keep_later_follow_ups([edit], later, [held]) == [edit]
