"""Out-of-order instructions about one trade: the one posted later wins.

An edit that arrives after a later follow-up never undoes what that follow-up set; a fix of a
refused signal never opens what a follow-up posted after the signal closed.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from builders import NOW, make_intent, make_signal, position
from signal_copier.core import ids
from signal_copier.core.followups import Operation
from signal_copier.core.model import (
    Action,
    Change,
    ChangeKind,
    Command,
    IntentKind,
    Scope,
    Side,
    Signal,
    Status,
    TradeResult,
)
from signal_copier.core.precedence import closed_by, edited_after, held_back, keep_later_follow_ups
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord, TradeRecord


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


def _edit(
    seconds_after: int,
    previous: Signal,
    signal: Signal,
    status: Status = Status.APPLIED,
    reason: Reason = Reason.NONE,
) -> TradeRecord:
    # An edit of the signal made `seconds_after` NOW.
    made = int((NOW + timedelta(seconds=seconds_after)).timestamp())
    intent = make_intent(
        kind=IntentKind.EDIT,
        version=ids.message_version(made, str(signal)),
        previous=previous,
        signal=signal,
    )
    result = TradeResult(intent_id="e", user_id="u1", status=status, reason=reason)
    return TradeRecord(intent=intent, result=result)


BARE = make_signal(sl=None, tps=())
CORRECTED = make_signal(sl=D("2645"), tps=(D("2655"),))


def test_an_edit_made_after_a_follow_up_replaced_the_levels_it_changed() -> None:
    edits = [_edit(60, BARE, CORRECTED)]

    assert edited_after(NOW + timedelta(seconds=30), edits) == {"sl", "tp"}


def test_an_edit_made_before_the_follow_up_replaced_nothing_of_it() -> None:
    edits = [_edit(10, BARE, CORRECTED)]

    assert edited_after(NOW + timedelta(seconds=30), edits) == set()


def test_an_edit_of_the_target_alone_leaves_the_follow_ups_stop() -> None:
    moved = make_signal(sl=D("2645"), tps=(D("2665"),))

    assert edited_after(NOW, [_edit(60, CORRECTED, moved)]) == {"tp"}


@pytest.mark.parametrize(
    ("status", "reason", "replaced"),
    [
        (Status.SKIPPED, Reason.NOTHING_TO_CHANGE, {"sl", "tp"}),
        (Status.SKIPPED, Reason.SIGNAL_CHANGED, set()),
        (Status.REJECTED, Reason.BROKER_REJECTED, set()),
    ],
)
def test_only_an_edit_carried_to_the_trade_replaced_its_levels(
    status: Status, reason: Reason, replaced: set[str]
) -> None:
    edits = [_edit(60, BARE, CORRECTED, status=status, reason=reason)]

    assert edited_after(NOW, edits) == replaced


def test_an_edit_in_the_same_second_as_the_follow_up_wins() -> None:
    assert edited_after(NOW, [_edit(0, BARE, CORRECTED)]) == {"sl", "tp"}


def test_held_back_leaves_the_named_fields_and_drops_what_changes_nothing() -> None:
    held = position("7", "scA.0", sl=D("2645"), tp=D("2655"))
    other = position("8", "scA.1", sl=D("2645"), tp=D("2660"))
    ops = [
        Operation(kind=ChangeKind.SL, target="7", sl=D("2640"), tp=D("2660")),
        Operation(kind=ChangeKind.SL, target="8", sl=D("2640"), tp=D("2670")),
    ]

    kept = held_back(ops, {"7": {"sl", "tp"}, "8": {"sl"}}, [held, other])

    assert [(op.target, op.sl, op.tp) for op in kept] == [("8", D("2645"), D("2670"))]


GOLD = make_signal()
EURUSD = make_signal(symbol="EURUSD", side=Side.SELL, entry=None, sl=D("1.09"), tps=(D("1.08"),))


def _message(
    message_id: int,
    *,
    reply_to: int | None = None,
    signal: Signal | None = None,
    command: Command | None = None,
) -> MessageRecord:
    return MessageRecord(
        key=f"c1:{message_id}:0",
        chat_id="c1",
        message_id=message_id,
        version=0,
        date=NOW,
        kind="open" if signal else "close",
        signals=(signal,) if signal else (),
        command=command,
        reply_to=reply_to,
    )


def _close(message_id: int, reply_to: int | None = None, **command: object) -> MessageRecord:
    fields: dict[str, object] = {"action": Action.CLOSE, **command}
    return _message(message_id, reply_to=reply_to, command=Command(**fields))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("after", "closer"),
    [
        ([_close(2, reply_to=1)], 2),  # a reply to the signal
        ([_close(2, reply_to=1, fraction=D("0.5"))], None),  # a partial close does not end it
        ([_close(3, reply_to=2), _close(2, reply_to=1, fraction=D("0.5"))], 3),  # the rest
        ([_close(2, reply_to=1, action=Action.CANCEL)], 2),
        ([_message(2, signal=EURUSD), _close(3, reply_to=2)], None),  # about EURUSD
        ([_close(2)], 2),  # bare, while it was the latest signal
        ([_message(2, signal=EURUSD), _close(3)], None),  # bare, about the later EURUSD one
        ([_message(2, signal=EURUSD), _close(3, scope=Scope.ALL)], 3),  # close everything
        ([_close(2, symbol="XAUUSD")], 2),
        ([_close(2, symbol="EURUSD")], None),
        ([_close(2, side=Side.SELL)], None),
        ([_close(2, reply_to=9)], None),  # a reply that leaves the chat
        ([_close(2, reply_to=0)], None),  # a reply to an older message
    ],
)
def test_a_fix_is_closed_by_a_later_follow_up_about_it(
    after: list[MessageRecord], closer: int | None
) -> None:
    assert closed_by(1, GOLD, after) == closer
