"""A re-entry's group and levels: the signal it repeats as its levels-only messages completed it,
the deletion of its own post, and how a signal's group is named."""

from datetime import timedelta
from decimal import Decimal as D

from builders import NOW, make_signal
from signal_copier.core import history, ids
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import (
    Action,
    IntentKind,
    MessageKind,
    Parse,
    RawMessage,
)
from signal_copier.core.parsing import parse
from signal_copier.core.records import MessageRecord, Subscription
from signal_copier.core.reentry import cancelled, completed

SIDE_FIRST = make_signal(sl=None, tps=())
WINDOW = 300


def _record(
    message_id: int, text: str, reply_to: int | None = None, *, after: int | None = None
) -> MessageRecord:
    # Message `message_id` posted `after` seconds after the signal (message 20), by default its
    # distance in ids.
    at = NOW + timedelta(seconds=message_id - 20 if after is None else after)
    message = RawMessage(
        chat_id="c", message_id=message_id, text=text, date=at, received=at, reply_to=reply_to
    )
    record = history.new_record(message, parse(text), (), timedelta(seconds=60))
    assert record is not None
    return record


HEAD = _record(20, "XAUUSD BUY NOW @ 2650")


def test_levels_replying_to_the_signal_complete_it() -> None:
    # Arrange
    levels = _record(21, "SL 2640 TP1 2660 TP2 2670", reply_to=20)

    # Act
    signal = completed(HEAD, SIDE_FIRST, [levels], WINDOW)

    # Assert
    assert (signal.sl, signal.tps) == (D("2640"), (D("2660"), D("2670")))


def test_a_numbered_target_replaces_only_its_own_place() -> None:
    # Arrange: the signal has two targets; the channel moves the second
    levels = _record(21, "TP2 2675", reply_to=20)
    signal = make_signal(tps=(D("2655"), D("2660")))

    # Act
    done = completed(HEAD, signal, [levels], WINDOW)

    # Assert
    assert (done.sl, done.tps) == (D("2640"), (D("2655"), D("2675")))


def test_unnumbered_targets_replace_the_signals_list_as_its_own_trade_takes_them() -> None:
    # Arrange: three targets; "SL 2640 TP 2665" gives each leg 2665 on the signal's own trade
    levels = _record(21, "SL 2640 TP 2665", reply_to=20)
    signal = make_signal(sl=None, tps=(D("2660"), D("2670"), D("2680")))

    # Act
    done = completed(HEAD, signal, [levels], WINDOW)

    # Assert: not (2665, 2670, 2680), which no leg of the signal's trade holds
    assert (done.sl, done.tps) == (D("2640"), (D("2665"),))


def test_a_numbered_target_past_a_gap_is_not_taken_and_its_stop_is() -> None:
    # Arrange: one target; "TP3" has no second before it: which leg takes it is unclear
    levels = _record(21, "SL 2640 TP3 2690", reply_to=20)
    signal = make_signal(sl=None, tps=(D("2660"),))

    # Act
    done = completed(HEAD, signal, [levels], WINDOW)

    # Assert: 2690 is not made the second target
    assert (done.sl, done.tps) == (D("2640"), (D("2660"),))


def test_levels_past_the_window_or_with_the_window_off_complete_nothing() -> None:
    # Arrange
    late = _record(21, "SL 2640 TP1 2660", reply_to=20, after=WINDOW + 1)
    early = _record(22, "SL 2641 TP1 2661", reply_to=20, after=10)

    # Act / Assert
    assert completed(HEAD, SIDE_FIRST, [late], WINDOW) == SIDE_FIRST
    assert completed(HEAD, SIDE_FIRST, [early], 0) == SIDE_FIRST


def test_levels_on_the_wrong_side_complete_nothing() -> None:
    # Arrange: a stop above a buy's entry
    levels = _record(21, "SL 2660 TP1 2670", reply_to=20)

    # Act / Assert
    assert completed(HEAD, SIDE_FIRST, [levels], WINDOW) == SIDE_FIRST


def test_levels_replying_to_a_reentry_are_not_the_signals() -> None:
    # Arrange
    again = _record(21, "Add more at 2645", reply_to=20)
    levels = _record(22, "SL 2640 TP1 2660", reply_to=21)

    # Act / Assert
    assert completed(HEAD, SIDE_FIRST, [again, levels], WINDOW) == SIDE_FIRST


def test_bare_levels_after_another_signal_are_that_signals() -> None:
    # Arrange
    other = _record(21, "EURUSD BUY NOW 1.0850")
    levels = _record(22, "SL 2640 TP1 2660")

    # Act / Assert
    assert completed(HEAD, SIDE_FIRST, [other, levels], WINDOW) == SIDE_FIRST


def test_a_cancel_replying_to_a_reentry_is_not_the_signals_cancel() -> None:
    # Arrange
    again = _record(21, "Add more at 2645", reply_to=20)
    cancel = _record(22, "Cancel this order", reply_to=21)
    assert cancel.command is not None and cancel.command.action is Action.CANCEL

    # Act / Assert
    assert cancelled(20, make_signal(), [again, cancel]) is None


def test_a_reentrys_deletion_is_one_delete_per_user_even_for_a_holder_who_left() -> None:
    # Arrange
    again = _record(21, "Add more at 2645", reply_to=20)
    gone = RawMessage(
        chat_id="c", message_id=21, text="", date=NOW, received=NOW, kind=MessageKind.DELETION
    )
    tombstone = history.new_record(gone, Parse(), (again,), timedelta(seconds=60))
    assert tombstone is not None

    # Act
    left = [Subscription(user_id="u1", chat_id="c")]
    (intent,) = intents_for(tombstone, left, "trace", follow_ups_only=True)

    # Assert
    assert tombstone.earlier_reentry
    assert (intent.kind, intent.message_id, intent.signal) == (IntentKind.DELETE, 21, None)


def test_a_plain_follow_ups_deletion_fans_out_nothing() -> None:
    # Arrange
    move = _record(21, "Move SL to 2645", reply_to=20)
    gone = RawMessage(
        chat_id="c", message_id=21, text="", date=NOW, received=NOW, kind=MessageKind.DELETION
    )
    tombstone = history.new_record(gone, Parse(), (move,), timedelta(seconds=60))
    assert tombstone is not None
    assert move.command is not None and move.command.action is Action.MODIFY

    # Act / Assert
    assert intents_for(tombstone, [Subscription(user_id="u1", chat_id="c")], "trace") == []


def test_a_signal_ref_names_its_message_back() -> None:
    # Act / Assert
    assert ids.ref_message(ids.signal_ref("-100123", 812)) == 812
    assert ids.ref_message("") is None


def _edited(original: MessageRecord, text: str) -> MessageRecord:
    at = NOW + timedelta(minutes=1)
    edit = RawMessage(
        chat_id="c", message_id=21, text=text, date=original.date, received=at, edit_date=at
    )
    record = history.new_record(edit, parse(text), (original,), timedelta(seconds=60))
    assert record is not None
    return record


def test_a_reentry_edited_into_cancelled_is_a_cancel_of_its_own_post() -> None:
    # Arrange
    edited = _edited(_record(21, "Add more at 2645", reply_to=20), "Cancelled")

    # Act
    (intent,) = intents_for(edited, [Subscription(user_id="u1", chat_id="c")], "trace")

    # Assert: about the message itself, as a signal's post edited into a cancel is
    assert intent.command is not None and intent.command.action is Action.CANCEL
    assert (intent.kind, intent.reply_to) == (IntentKind.COMMAND, 21)


def test_a_reentry_edited_into_another_reentry_is_judged_per_user_as_an_edited_follow_up() -> None:
    # Arrange
    edited = _edited(_record(21, "Add more at 2645", reply_to=20), "Add more at 2646")

    # Act
    (intent,) = intents_for(edited, [Subscription(user_id="u1", chat_id="c")], "trace")

    # Assert: fanned out so the user's record says why it is not run (services/reruns.py,
    # which never runs an edited re-entry: it would open a second trade)
    assert intent.command is not None and intent.command.action is Action.REENTER
    assert (intent.kind, intent.version != 0) == (IntentKind.COMMAND, True)
