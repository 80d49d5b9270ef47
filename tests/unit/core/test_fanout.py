"""Fan-out: one message version → one intent per subscriber, decided against its history."""

from datetime import timedelta
from decimal import Decimal

from builders import NOW, make_signal
from signal_copier.core import history
from signal_copier.core.fanout import intent_ids_for, intents_for
from signal_copier.core.model import (
    Action,
    Command,
    IntentKind,
    MessageKind,
    Parse,
    RawMessage,
)
from signal_copier.core.records import MessageRecord, Subscription

SUBS = [Subscription(user_id="u1", chat_id="c"), Subscription(user_id="u2", chat_id="c")]
WAIT = timedelta(seconds=120)


def _message(**fields: object) -> RawMessage:
    base: dict[str, object] = {
        "chat_id": "c",
        "message_id": 7,
        "text": "x",
        "date": NOW,
        "received": NOW,
    }
    return RawMessage(**{**base, **fields})  # type: ignore[arg-type]


def _record(
    message: RawMessage, parsed: Parse, *stored: MessageRecord, expired: bool = False
) -> MessageRecord:
    """Return the record the pipeline would act on for `message` after `stored` versions."""
    record = history.new_record(message, parsed, stored, WAIT)
    assert record is not None
    if record.wait_until is not None and expired:
        waited = history.resumed_record(record, (*stored, record), expired=True)
        assert waited is not None
        return waited
    return record


def _edit(minutes: float = 1, **fields: object) -> RawMessage:
    return _message(edit_date=NOW + timedelta(minutes=minutes), **fields)


SIGNAL = Parse(signals=(make_signal(),))


def test_signal_fans_out_one_intent_per_subscriber_with_distinct_ids() -> None:
    intents = intents_for(_record(_message(), SIGNAL), SUBS, "t")
    assert [i.user_id for i in intents] == ["u1", "u2"]
    assert len({i.id for i in intents}) == 2 and {i.kind for i in intents} == {IntentKind.OPEN}


def test_intent_ids_are_deterministic_across_deliveries() -> None:
    record = _record(_message(), SIGNAL)
    assert [i.id for i in intents_for(record, SUBS, "t")] == [
        i.id for i in intents_for(record, SUBS, "t")
    ]


def test_several_signals_in_one_message_get_one_intent_each() -> None:
    parsed = Parse(signals=(make_signal(), make_signal(symbol="EURUSD")))
    intents = intents_for(_record(_message(), parsed), SUBS[:1], "t")
    assert len(intents) == 2 and intents[0].id != intents[1].id


def test_edit_of_a_signal_becomes_an_edit_intent_carrying_the_previous_version() -> None:
    old = make_signal()
    original = _record(_message(), Parse(signals=(old,)))
    edited = _record(_edit(), Parse(signals=(make_signal(sl=None),)), original)
    (intent,) = intents_for(edited, SUBS[:1], "t")
    assert intent.kind is IntentKind.EDIT and intent.previous == old
    assert intent.message_date == NOW  # an edit does not make a signal younger


def test_each_signal_of_an_edited_message_is_edited_against_its_own_part() -> None:
    gold, euro = make_signal(), make_signal(symbol="EURUSD")
    original = _record(_message(), Parse(signals=(gold, euro)))
    parsed = Parse(signals=(gold, euro, make_signal(symbol="GBPUSD")))
    intents = intents_for(_record(_edit(), parsed, original), SUBS[:1], "t")
    assert [(i.kind, i.part, i.previous) for i in intents] == [
        (IntentKind.EDIT, 0, gold),
        (IntentKind.EDIT, 1, euro),
        (IntentKind.OPEN, 2, None),
    ]


def test_edit_that_turns_chatter_into_a_signal_opens_with_the_edit_time_as_its_age() -> None:
    chatter = _record(_message(), Parse())
    (intent,) = intents_for(_record(_edit(5), SIGNAL, chatter), SUBS[:1], "t")
    assert intent.kind is IntentKind.OPEN and intent.message_date == NOW + timedelta(minutes=5)


def test_an_edit_seen_first_waits_for_its_original_and_fans_out_nothing() -> None:
    record = _record(_edit(), SIGNAL)
    assert record.wait_until == NOW + WAIT
    assert intents_for(record, SUBS, "t") == []


def test_an_edit_never_seen_before_acts_after_its_wait_with_the_original_date() -> None:
    (intent,) = intents_for(_record(_edit(180), SIGNAL, expired=True), SUBS[:1], "t")
    assert intent.kind is IntentKind.OPEN and intent.message_date == NOW


def test_an_edited_follow_up_is_a_command_of_its_own_that_knows_its_earlier_commands() -> None:
    half = Command(action=Action.CLOSE, fraction=Decimal("0.5"))
    close = Command(action=Action.CLOSE)
    original = _record(_message(reply_to=3), Parse(command=half))
    edited = _record(_edit(reply_to=3), Parse(command=close), original)

    (intent,) = intents_for(edited, SUBS[:1], "t")

    assert (intent.kind, intent.command, intent.reply_to) == (IntentKind.COMMAND, close, 3)
    assert intent.id != intents_for(original, SUBS[:1], "t")[0].id
    assert edited.earlier_command and edited.earlier_commands == (half,)


def test_a_second_edit_of_a_follow_up_knows_every_earlier_command_in_order() -> None:
    half = Command(action=Action.CLOSE, fraction=Decimal("0.5"))
    close = Command(action=Action.CLOSE)
    original = _record(_message(reply_to=3), Parse(command=half))
    first = _record(_edit(1, reply_to=3), Parse(command=close), original)
    chatter = _record(_edit(2, reply_to=3), Parse(reason="chatter"), original, first)

    second = _record(_edit(3, reply_to=3), Parse(command=half), original, first, chatter)

    assert second.earlier_commands == (half, close)


def test_a_signal_edited_into_a_command_acts_on_that_same_signal() -> None:
    original = _record(_message(), SIGNAL)
    cancel = Parse(command=Command(action=Action.CANCEL))
    (intent,) = intents_for(_record(_edit(), cancel, original), SUBS[:1], "t")
    assert intent.kind is IntentKind.COMMAND and intent.reply_to == 7


def test_a_command_edit_seen_without_its_original_acts_on_its_own_message() -> None:
    cancel = Parse(command=Command(action=Action.CANCEL))
    (intent,) = intents_for(_record(_edit(), cancel, expired=True), SUBS[:1], "t")
    assert intent.reply_to == 7  # never "the channel's latest signal"


def test_command_carries_reply_to() -> None:
    close = Parse(command=Command(action=Action.CLOSE))
    (intent,) = intents_for(_record(_message(reply_to=3), close), SUBS[:1], "t")
    assert intent.kind is IntentKind.COMMAND and intent.reply_to == 3


def test_nothing_means_no_intents() -> None:
    assert intents_for(_record(_message(), Parse()), SUBS, "t") == []


def test_a_superseded_version_fans_out_nothing() -> None:
    original = _record(_message(), SIGNAL)
    newer = _record(_edit(5), Parse(signals=(make_signal(sl=None),)), original)
    older = _record(_edit(1), SIGNAL, original, newer)
    assert older.superseded
    assert intents_for(older, SUBS, "t") == []


def test_the_ids_alone_are_those_of_the_intents_a_subscriber_gets() -> None:
    close = Parse(command=Command(action=Action.CLOSE))
    cancel = Parse(command=Command(action=Action.CANCEL))
    original = _record(_message(), SIGNAL)
    two = Parse(signals=(make_signal(), make_signal(symbol="EURUSD")))
    newer = _record(_edit(5), Parse(signals=(make_signal(sl=None),)), original)
    records = [
        original,
        _record(_message(), two),
        _record(_message(reply_to=3), close),
        _record(_edit(), cancel, original),
        _record(_edit(), cancel, expired=True),
        _record(_edit(), SIGNAL),  # waits for its original: nothing yet
        newer,
        _record(_edit(1), SIGNAL, original, newer),  # superseded
        _record(_message(), Parse()),
        _record(_message(kind=MessageKind.DELETION), Parse(), original),  # deletes its signal
    ]
    for record in records:
        for left in (False, True):
            made = intents_for(record, SUBS[1:], "t", follow_ups_only=left)
            assert intent_ids_for(record, "u2", follow_ups_only=left) == [i.id for i in made]
    assert intent_ids_for(original, "u2") and not intent_ids_for(
        original, "u2", follow_ups_only=True
    )
    (deletion,) = intents_for(records[-1], SUBS[1:], "t", follow_ups_only=True)
    assert deletion.kind is IntentKind.DELETE  # the deletion case above was a real one
