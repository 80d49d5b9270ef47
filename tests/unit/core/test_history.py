"""How a message version relates to the versions stored before it (core/history.py)."""

from datetime import timedelta

from builders import NOW, make_signal
from signal_copier.core import history, ids
from signal_copier.core.model import Parse, RawMessage

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
