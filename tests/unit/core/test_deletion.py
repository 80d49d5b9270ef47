"""Deletions in the message history: the tombstone wins over every version it did not see."""

from datetime import timedelta
from decimal import Decimal as D

import pytest

from builders import NOW, make_signal
from signal_copier.core import codec, deletion, history, ids
from signal_copier.core.errors import InvalidInput, InvalidSettings
from signal_copier.core.fanout import intents_for
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import (
    Action,
    ChangeKind,
    Command,
    IntentKind,
    MessageKind,
    OrderType,
    Parse,
    RawMessage,
    Side,
)
from signal_copier.core.records import MessageRecord, Subscription
from signal_copier.core.settings import OnSignalDeleted, validate_settings

WAIT = timedelta(seconds=120)
SIGNAL = Parse(signals=(make_signal(),))
CHATTER = Parse(reason="chatter")
SUBS = [Subscription(user_id="u1", chat_id="c"), Subscription(user_id="u2", chat_id="c")]
NOTHING = Parse()


def _message(edit_seconds: float | None = None, text: str = "x") -> RawMessage:
    edit = None if edit_seconds is None else NOW + timedelta(seconds=edit_seconds)
    return RawMessage(
        chat_id="c", message_id=7, text=text, date=NOW, received=edit or NOW, edit_date=edit
    )


def _deletion(after_seconds: float = 300) -> RawMessage:
    at = NOW + timedelta(seconds=after_seconds)
    return RawMessage(
        chat_id="c", message_id=7, text="", date=at, received=at, kind=MessageKind.DELETION
    )


def _stored(message: RawMessage, parsed: Parse, *stored: MessageRecord) -> MessageRecord:
    record = history.new_record(message, parsed, stored, WAIT)
    assert record is not None
    return record


def test_a_deletion_is_the_last_version_every_listener_computes_alike() -> None:
    assert _deletion(1).version == _deletion(999).version == ids.DELETED_VERSION
    assert _deletion().id == "c:7:" + str(ids.DELETED_VERSION)
    latest_edit = RawMessage(
        chat_id="c",
        message_id=7,
        text="x" * 50,
        date=NOW,
        received=NOW,
        edit_date=NOW.replace(year=9999, month=12, day=31),
    )
    assert ids.version_second(latest_edit.version) < ids.version_second(ids.DELETED_VERSION)
    assert ids.DELETED_VERSION < codec.MAX_INT  # a store's "below the largest" reads include it


def test_a_deleted_signal_becomes_one_delete_intent_per_subscriber() -> None:
    original = _stored(_message(), SIGNAL)
    tombstone = _stored(_deletion(), NOTHING, original)

    intents = intents_for(tombstone, SUBS, trace_id="t")

    assert tombstone.kind == "deleted" and tombstone.earlier_signals == SIGNAL.signals
    assert [(i.user_id, i.kind, i.part) for i in intents] == [
        ("u1", IntentKind.DELETE, 0),
        ("u2", IntentKind.DELETE, 0),
    ]
    assert intents[0].id == ids.intent_id("c", 7, ids.DELETED_VERSION, "u1", 0)
    assert intents[0].received == tombstone.received  # its bound counts from the deletion
    assert "a signal (buy XAUUSD)" in tombstone.explain[0]


def test_a_deletion_seen_first_never_waits_and_supersedes_the_original() -> None:
    tombstone = _stored(_deletion(), NOTHING)
    original = _stored(_message(), SIGNAL, tombstone)

    assert tombstone.wait_until is None and intents_for(tombstone, SUBS, trace_id="t") == []
    assert original.superseded and intents_for(original, SUBS, trace_id="t") == []
    assert original.explain[-1] == deletion.ARRIVED_DELETED


def test_an_edit_delivered_after_the_deletion_is_superseded() -> None:
    original = _stored(_message(), SIGNAL)
    tombstone = _stored(_deletion(), NOTHING, original)
    edit = _stored(_message(60, "fixed"), SIGNAL, original, tombstone)

    assert edit.superseded and edit.wait_until is None
    assert intents_for(edit, SUBS, trace_id="t") == []


def test_an_edit_waiting_for_its_original_is_superseded_when_the_deletion_comes() -> None:
    waiting = _stored(_message(60, "edited"), SIGNAL)
    tombstone = _stored(_deletion(), NOTHING, waiting)

    resumed = history.resumed_record(waiting, (waiting, tombstone), expired=False)

    assert tombstone.earlier_signals == ()  # the waiting edit never acted
    assert resumed is not None and resumed.superseded
    assert intents_for(resumed, SUBS, trace_id="t") == []


def test_a_redelivered_deletion_builds_nothing() -> None:
    tombstone = _stored(_deletion(), NOTHING, _stored(_message(), SIGNAL))
    assert history.new_record(_deletion(900), NOTHING, (tombstone,), WAIT) is None


@pytest.mark.parametrize(
    ("parsed", "said"),
    [
        (CHATTER, "it was not a signal: nothing changes"),
        (Parse(command=Command(action=Action.CLOSE)), "a follow-up: what it did stays done"),
    ],
)
def test_a_deleted_non_signal_fans_out_nothing_and_says_why(parsed: Parse, said: str) -> None:
    tombstone = _stored(_deletion(), NOTHING, _stored(_message(), parsed))
    assert intents_for(tombstone, SUBS, trace_id="t") == []
    assert said in tombstone.explain[0]


def test_a_signal_edited_into_chatter_and_deleted_still_cancels_the_signal() -> None:
    original = _stored(_message(), SIGNAL)
    chatter = _stored(_message(60, "oops, ignore"), CHATTER, original)
    tombstone = _stored(_deletion(), NOTHING, original, chatter)

    assert [i.kind for i in intents_for(tombstone, SUBS[:1], trace_id="t")] == [IntentKind.DELETE]


def test_a_tombstone_keeps_the_messages_place_in_the_chat() -> None:
    original = _stored(
        RawMessage(
            chat_id="c",
            message_id=7,
            text="x",
            date=NOW,
            received=NOW,
            reply_to=3,
            previous_id=6,
            chat_title="Gold",
        ),
        SIGNAL,
    )
    tombstone = _stored(_deletion(), NOTHING, original)
    assert (tombstone.posted, tombstone.reply_to, tombstone.previous_id, tombstone.chat_title) == (
        NOW,
        3,
        6,
        "Gold",
    )
    assert tombstone.date == NOW + timedelta(seconds=300)


def _position(pid: str) -> Position:
    return Position(
        id=pid,
        symbol="XAUUSD",
        side=Side.BUY,
        volume=D("0.10"),
        open_price=D("2650"),
        client_id=f"sc{'a' * 18}.0",
    )


def _order(oid: str) -> PendingOrder:
    return PendingOrder(
        id=oid,
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D("0.10"),
        price=D("2640"),
        client_id=f"sc{'a' * 18}.1",
    )


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        (OnSignalDeleted.CANCEL_PENDING, [(ChangeKind.CANCEL, "o1")]),
        (OnSignalDeleted.CLOSE, [(ChangeKind.CANCEL, "o1"), (ChangeKind.CLOSE, "p1")]),
        (OnSignalDeleted.IGNORE, []),
    ],
)
def test_each_setting_plans_its_own_operations(
    action: OnSignalDeleted, expected: list[tuple[ChangeKind, str]]
) -> None:
    ops = deletion.plan_deletion(action, [_position("p1")], [_order("o1")])
    assert [(op.kind, op.target) for op in ops] == expected


def test_the_outcome_sentence_names_what_was_done_and_what_was_kept() -> None:
    said = deletion.outcome(OnSignalDeleted.CANCEL_PENDING, cancelled=2, closed=0, kept=1)
    assert said == (
        "the channel deleted this signal: cancelled 2 pending order(s); "
        "kept 1 filled position(s) (on_signal_deleted: cancel_pending)"
    )
    assert deletion.outcome(OnSignalDeleted.CLOSE, 0, 0, 0).endswith(
        "nothing of it was left to cancel or close"
    )
    assert deletion.outcome(OnSignalDeleted.CANCEL_PENDING, 0, 0, 0, retried=True).endswith(
        "(an earlier attempt that was cut short may have done it)"
    )


def test_an_unknown_message_kind_is_refused_naming_the_field() -> None:
    data = codec.to_dict(_deletion())
    assert data["kind"] == "deletion"
    assert codec.from_dict(RawMessage, data) == _deletion()
    with pytest.raises(InvalidInput, match=r"RawMessage\.kind: invalid value 'purge'"):
        codec.from_dict(RawMessage, {**data, "kind": "purge"})


def test_an_unknown_on_signal_deleted_is_refused_naming_the_setting() -> None:
    assert validate_settings({}).on_signal_deleted is OnSignalDeleted.CANCEL_PENDING
    with pytest.raises(InvalidSettings, match="on_signal_deleted"):
        validate_settings({"on_signal_deleted": "nuke"})


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (OnSignalDeleted.CLOSE, OnSignalDeleted.CLOSE),
        (OnSignalDeleted.CANCEL_PENDING, OnSignalDeleted.CANCEL_PENDING),
        (OnSignalDeleted.IGNORE, OnSignalDeleted.CANCEL_PENDING),
    ],
)
def test_a_signal_edited_into_a_cancel_always_loses_its_unfilled_orders(
    setting: OnSignalDeleted, expected: OnSignalDeleted
) -> None:
    assert deletion.withdrawal(setting) is expected


def test_a_withdrawal_names_the_users_own_setting_for_the_positions_it_kept() -> None:
    said = deletion.outcome(
        OnSignalDeleted.CANCEL_PENDING, 0, 0, 1, how="cancelled", setting=OnSignalDeleted.IGNORE
    )
    assert said == (
        "the channel cancelled this signal: kept 1 filled position(s) (on_signal_deleted: ignore)"
    )
