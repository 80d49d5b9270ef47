"""How a message version relates to the versions stored before it (core/history.py)."""

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

from builders import NOW, make_signal
from signal_copier.core import history, ids
from signal_copier.core.model import MessageKind, Parse, RawMessage, Side

WAIT = timedelta(seconds=120)
SIGNAL = Parse(signals=(make_signal(),))


def _message(text: str = "x", edit_seconds: float | None = None, **fields: object) -> RawMessage:
    edit = None if edit_seconds is None else NOW + timedelta(seconds=edit_seconds)
    received = edit or NOW
    base: dict[str, object] = {"chat_id": "c", "message_id": 7, "text": text, "date": NOW}
    return RawMessage(**{**base, "edit_date": edit, "received": received, **fields})  # type: ignore[arg-type]


def test_two_edits_in_the_same_second_are_two_versions_and_a_redelivery_is_one() -> None:
    first, second = _message("SL 2645", 60), _message("SL 2646", 60)
    assert first.version != second.version
    assert ids.version_second(first.version) == ids.version_second(second.version)
    assert _message("SL 2645", 60).version == first.version


def test_a_redelivered_version_builds_nothing() -> None:
    stored = history.new_record(_message(), SIGNAL, (), WAIT)
    assert stored is not None
    assert history.new_record(_message(), SIGNAL, (stored,), WAIT) is None


def test_of_two_same_second_edits_the_later_arrival_is_the_newer() -> None:
    original = history.new_record(_message(), SIGNAL, (), WAIT)
    assert original is not None
    first = history.new_record(_message("a", 60), SIGNAL, (original,), WAIT)
    assert first is not None
    second = history.new_record(
        _message("b", 60, received=NOW + timedelta(seconds=61)), SIGNAL, (original, first), WAIT
    )
    assert second is not None and not second.superseded


SOLD = Parse(signals=(make_signal(side=Side.SELL, sl=D("2660"), tps=(D("2640"),)),))


def test_an_older_edit_arriving_after_a_newer_one_is_superseded_unless_it_turned_the_side() -> None:
    # Arrange: the original, and its edit a minute later back to the same signal
    original = history.new_record(_message(), SIGNAL, (), WAIT)
    assert original is not None
    back = history.new_record(_message("buy", 120), SIGNAL, (original,), WAIT)
    assert back is not None

    # Act: the edit between them arrives last: a level fix, or a turn to a sell
    fix = history.new_record(_message("sl", 60), SIGNAL, (original, back), WAIT)
    turn = history.new_record(_message("sell", 60), SOLD, (original, back), WAIT)

    # Assert: the turn withdrew the signal when it was made, and still does
    assert fix is not None and fix.superseded
    assert turn is not None and not turn.superseded
    assert turn.earlier_signals == SIGNAL.signals


def test_an_older_turn_arriving_after_the_messages_deletion_is_superseded() -> None:
    original = history.new_record(_message(), SIGNAL, (), WAIT)
    assert original is not None
    gone = history.new_record(_message("", kind=MessageKind.DELETION), Parse(), (original,), WAIT)
    assert gone is not None and gone.deleted

    turn = history.new_record(_message("sell", 60), SOLD, (original, gone), WAIT)

    assert turn is not None and turn.superseded


def test_an_original_arriving_after_its_waiting_edit_is_acted_on_and_resumes_the_edit() -> None:
    waiting = history.new_record(_message("edited", 60), SIGNAL, (), WAIT)
    assert waiting is not None and waiting.wait_until is not None
    original = history.new_record(_message(), SIGNAL, (waiting,), WAIT)
    assert original is not None and not original.superseded and original.wait_until is None
    resumed = history.resumed_record(waiting, (original, waiting), expired=False)
    assert resumed is not None and resumed.wait_until is None and not resumed.first_seen
    assert resumed.earlier_signals == SIGNAL.signals


def test_a_waiting_edit_keeps_waiting_until_an_earlier_version_or_its_bound() -> None:
    waiting = history.new_record(_message("edited", 60), SIGNAL, (), WAIT)
    assert waiting is not None
    assert history.resumed_record(waiting, (waiting,), expired=False) is None
    alone = history.resumed_record(waiting, (waiting,), expired=True)
    assert alone is not None and alone.first_seen


def test_a_version_is_resumed_only_once() -> None:
    waiting = history.new_record(_message("edited", 60), SIGNAL, (), WAIT)
    assert waiting is not None
    resumed = history.resumed_record(waiting, (waiting,), expired=True)
    assert resumed is not None
    assert history.resumed_record(waiting, (resumed,), expired=True) is None


def test_an_edit_keeps_its_messages_place_in_the_chat() -> None:
    original = history.new_record(_message(previous_id=6), SIGNAL, (), WAIT)
    assert original is not None
    edit = history.new_record(_message("e", 60), SIGNAL, (original,), WAIT)
    assert edit is not None and edit.previous_id == 6


def test_a_previous_id_at_or_after_the_message_is_no_message_before_it() -> None:
    # A listener that published a later message first gave it as the "previous" one
    for previous in (7, 8):
        record = history.new_record(_message(previous_id=previous), SIGNAL, (), WAIT)
        assert record is not None and record.previous_id is None


def test_an_edit_published_after_later_messages_keeps_its_messages_place() -> None:
    original = history.new_record(_message(previous_id=6), SIGNAL, (), WAIT)
    assert original is not None
    edit = history.new_record(_message("e", 60, previous_id=110), SIGNAL, (original,), WAIT)
    assert edit is not None and edit.previous_id == 6


def test_the_message_a_record_was_made_from_is_rebuilt_exactly() -> None:
    message = _message("edited", 60, reply_to=3, previous_id=6, chat_title="Gold")
    record = history.new_record(message, SIGNAL, (), WAIT)
    assert record is not None
    assert history.message_of(record) == message


GOLD = make_signal()
EURO = make_signal(symbol="EURUSD", side=Side.SELL, entry=None, sl=None, tps=())
SILVER = make_signal(symbol="XAGUSD")


def test_an_edit_dropping_a_signal_keeps_the_other_signals_part() -> None:
    # Each signal of an edit is the earlier one of its instrument and side, wherever it moved.
    assert history.pair_parts([EURO], [GOLD, EURO], [0, 1]) == (1,)


def test_a_signal_added_above_the_others_gets_a_part_no_version_used() -> None:
    assert history.pair_parts([SILVER, GOLD], [GOLD], [0], used=[0, 1]) == (2, 0)


def test_an_edit_that_changes_a_side_is_still_that_signal() -> None:
    # Paired in order with the earlier signal left over: an edit of it, never a new signal.
    sold = make_signal(side=Side.SELL, sl=D("2660"), tps=(D("2645"),))
    assert history.pair_parts([sold, EURO], [GOLD, EURO], [0, 1]) == (0, 1)


def test_parts_follow_a_signal_over_several_edits() -> None:
    # Arrange: a post of gold and EURUSD; an edit drops gold; a second edit changes EURUSD
    post = history.new_record(_message(), Parse(signals=(GOLD, EURO)), (), WAIT)
    assert post is not None
    first = history.new_record(_message("y", 60), Parse(signals=(EURO,)), (post,), WAIT)
    assert first is not None

    # Act
    moved = replace(EURO, sl=D("1.0900"))
    second = history.new_record(
        _message("z", 120), Parse(signals=(moved, SILVER)), (post, first), WAIT
    )

    # Assert: EURUSD stays part 1; silver, added, takes a part no version held
    assert second is not None
    assert (first.signal_parts, second.signal_parts, second.earlier_signal_parts) == (
        (1,),
        (1, 2),
        (1,),
    )
