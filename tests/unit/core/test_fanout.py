from datetime import timedelta

from builders import NOW, make_signal
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import Action, Command, IntentKind, RawMessage
from signal_copier.core.records import MessageRecord, Subscription

SUBS = [Subscription(user_id="u1", chat_id="c"), Subscription(user_id="u2", chat_id="c")]


def _message(**fields: object) -> RawMessage:
    base: dict[str, object] = {
        "chat_id": "c",
        "message_id": 7,
        "text": "x",
        "date": NOW,
        "received": NOW,
    }
    return RawMessage(**{**base, **fields})  # type: ignore[arg-type]


def _record(message: RawMessage, **fields: object) -> MessageRecord:
    return MessageRecord(
        key=message.id,
        chat_id="c",
        message_id=7,
        version=message.version,
        date=NOW,
        kind="open",
        **fields,
    )  # type: ignore[arg-type]


def test_signal_fans_out_one_intent_per_subscriber_with_distinct_ids() -> None:
    message = _message()
    intents = intents_for(message, _record(message, signals=(make_signal(),)), None, SUBS, "t")
    assert [i.user_id for i in intents] == ["u1", "u2"]
    assert len({i.id for i in intents}) == 2 and {i.kind for i in intents} == {IntentKind.OPEN}


def test_intent_ids_are_deterministic_across_deliveries() -> None:
    message = _message()
    record = _record(message, signals=(make_signal(),))
    assert [i.id for i in intents_for(message, record, None, SUBS, "t")] == [
        i.id for i in intents_for(message, record, None, SUBS, "t")
    ]


def test_several_signals_in_one_message_get_one_intent_each() -> None:
    message = _message()
    intents = intents_for(
        message,
        _record(message, signals=(make_signal(), make_signal(symbol="EURUSD"))),
        None,
        SUBS[:1],
        "t",
    )
    assert len(intents) == 2 and intents[0].id != intents[1].id


def test_edit_of_a_signal_becomes_an_edit_intent_carrying_the_previous_version() -> None:
    edited = _message(edit_date=NOW + timedelta(minutes=1))
    old = make_signal()
    record = _record(edited, signals=(make_signal(sl=None),), earlier_signals=(old,))
    intents = intents_for(edited, record, _record(_message(), signals=(old,)), SUBS[:1], "t")
    assert intents[0].kind is IntentKind.EDIT and intents[0].previous == old
    assert intents[0].message_date == NOW  # an edit does not make a signal younger


def test_each_signal_of_an_edited_message_is_edited_against_its_own_part() -> None:
    edited = _message(edit_date=NOW + timedelta(minutes=1))
    gold, euro = make_signal(), make_signal(symbol="EURUSD")
    record = _record(
        edited, signals=(gold, euro, make_signal(symbol="GBPUSD")), earlier_signals=(gold, euro)
    )
    intents = intents_for(edited, record, _record(_message()), SUBS[:1], "t")
    assert [(i.kind, i.part, i.previous) for i in intents] == [
        (IntentKind.EDIT, 0, gold),
        (IntentKind.EDIT, 1, euro),
        (IntentKind.OPEN, 2, None),
    ]


def test_edit_that_turns_chatter_into_a_signal_opens_with_the_edit_time_as_its_age() -> None:
    when = NOW + timedelta(minutes=5)
    edited = _message(edit_date=when)
    intents = intents_for(
        edited, _record(edited, signals=(make_signal(),)), _record(_message()), SUBS[:1], "t"
    )
    assert intents[0].kind is IntentKind.OPEN and intents[0].message_date == when


def test_edit_of_a_message_never_seen_before_keeps_the_original_date() -> None:
    edited = _message(edit_date=NOW + timedelta(hours=3))
    intents = intents_for(edited, _record(edited, signals=(make_signal(),)), None, SUBS[:1], "t")
    assert intents[0].kind is IntentKind.OPEN and intents[0].message_date == NOW


def test_an_edited_follow_up_is_never_run_again() -> None:
    edited = _message(edit_date=NOW + timedelta(minutes=1), reply_to=3)
    record = _record(edited, command=Command(action=Action.CLOSE), earlier_command=True)
    assert intents_for(edited, record, _record(_message()), SUBS, "t") == []


def test_a_signal_edited_into_a_command_acts_on_that_same_signal() -> None:
    edited = _message(edit_date=NOW + timedelta(minutes=1))
    record = _record(
        edited, command=Command(action=Action.CANCEL), earlier_signals=(make_signal(),)
    )
    (intent,) = intents_for(edited, record, _record(_message()), SUBS[:1], "t")
    assert intent.kind is IntentKind.COMMAND and intent.reply_to == 7


def test_command_carries_reply_to() -> None:
    message = _message(reply_to=3)
    intents = intents_for(
        message, _record(message, command=Command(action=Action.CLOSE)), None, SUBS[:1], "t"
    )
    assert intents[0].kind is IntentKind.COMMAND and intents[0].reply_to == 3


def test_nothing_means_no_intents() -> None:
    message = _message()
    assert intents_for(message, _record(message), None, SUBS, "t") == []
