"""A re-entry is completed from the signal it repeats: its own levels and entry win, never the
signal's entry; a contradicting side or symbol, or a cancel of the signal, opens nothing."""

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D

from builders import NOW, make_signal
from signal_copier.core import codec, history
from signal_copier.core.fanout import intent_ids_for, intents_for
from signal_copier.core.model import (
    Action,
    Command,
    Intent,
    IntentKind,
    OrderType,
    Parse,
    RawMessage,
    Side,
    Signal,
)
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord, Subscription
from signal_copier.core.reentry import Refusal, cancelled, reopened

AGAIN = Command(action=Action.REENTER)
LIMIT_SIGNAL = make_signal(order_type=OrderType.LIMIT, entry=D("2640"), sl=D("2630"))


def _record(message_id: int, parsed: Parse, reply_to: int | None = None) -> MessageRecord:
    message = RawMessage(
        chat_id="c",
        message_id=message_id,
        text="x",
        date=NOW + timedelta(seconds=message_id),
        received=NOW + timedelta(seconds=message_id),
        reply_to=reply_to,
        previous_id=message_id - 1,
    )
    record = history.new_record(message, parsed, (), timedelta(seconds=60))
    assert record is not None
    return record


def test_buy_again_takes_the_signals_symbol_side_and_levels_at_market() -> None:
    # Act
    signal = reopened(replace(AGAIN, side=Side.BUY), make_signal(flags=("tps_out_of_order",)))

    # Assert
    assert isinstance(signal, Signal)
    assert (signal.symbol, signal.side, signal.order_type) == ("XAUUSD", Side.BUY, OrderType.MARKET)
    assert (signal.entry, signal.sl, signal.tps) == (None, D("2640"), (D("2655"), D("2660")))
    assert signal.flags == ("tps_out_of_order",)  # the signal's own levels, as judged


def test_the_reentrys_own_levels_and_entry_replace_the_signals() -> None:
    # Act
    signal = reopened(
        replace(AGAIN, entry=D("2645"), sl=D("2641"), tps=(D("2670"),)),
        make_signal(flags=("tps_out_of_order",), tp_pips=(D("50"),)),
    )

    # Assert
    assert isinstance(signal, Signal)
    assert (signal.entry, signal.sl, signal.tps, signal.tp_pips) == (
        D("2645"),
        D("2641"),
        (D("2670"),),
        (),
    )
    assert signal.order_type_implicit and signal.flags == ()


def test_buy_limit_again_without_a_price_waits_at_the_signals_entry() -> None:
    # Act
    signal = reopened(replace(AGAIN, order_type=OrderType.LIMIT), LIMIT_SIGNAL)

    # Assert
    assert isinstance(signal, Signal)
    assert (signal.order_type, signal.entry) == (OrderType.LIMIT, D("2640"))


def test_sell_again_on_a_buy_signal_is_refused_as_a_mismatch() -> None:
    # Act
    refusal = reopened(replace(AGAIN, side=Side.SELL), make_signal())

    # Assert
    assert isinstance(refusal, Refusal) and refusal.reason is Reason.REENTRY_MISMATCH
    assert "sell" in refusal.detail and "buy" in refusal.detail


def test_a_reentry_naming_another_symbol_is_refused() -> None:
    # Act
    refusal = reopened(replace(AGAIN, symbol="EURUSD"), make_signal())

    # Assert
    assert isinstance(refusal, Refusal) and refusal.reason is Reason.REENTRY_MISMATCH


def test_a_cancel_replying_to_the_signal_cancels_it_and_a_close_does_not() -> None:
    # Arrange
    cancel = _record(21, Parse(command=Command(action=Action.CANCEL)), reply_to=20)
    close = _record(22, Parse(command=Command(action=Action.CLOSE)), reply_to=20)

    # Act / Assert
    assert cancelled(20, LIMIT_SIGNAL, [cancel, close]) == 21
    assert cancelled(20, LIMIT_SIGNAL, [close]) is None


def test_a_reentry_command_fans_out_as_a_command_and_survives_the_wire() -> None:
    # Arrange
    command = replace(AGAIN, side=Side.BUY, entry_range=(D("2640"), D("2645")), sl=D("2630"))
    record = _record(21, Parse(command=command), reply_to=20)
    subscribers = [Subscription(user_id="u1", chat_id="c")]

    # Act
    (intent,) = intents_for(record, subscribers, "trace")
    wired = codec.from_dict(Intent, json.loads(json.dumps(codec.to_dict(intent))))

    # Assert
    assert (intent.kind, intent.reply_to, intent.command) == (IntentKind.COMMAND, 20, command)
    assert wired == intent


def test_a_signal_edited_into_a_reentry_repeats_nothing() -> None:
    # Arrange
    original = _record(20, Parse(signals=(make_signal(),)))
    edit = RawMessage(
        chat_id="c",
        message_id=20,
        text="y",
        date=original.date,
        received=NOW + timedelta(minutes=1),
        edit_date=NOW + timedelta(minutes=1),
    )
    edited = history.new_record(edit, Parse(command=AGAIN), (original,), timedelta(seconds=60))
    assert edited is not None

    # Act
    intents = intents_for(edited, [Subscription(user_id="u1", chat_id="c")], "trace")

    # Assert
    assert intents == []


def test_a_reentry_reaches_no_holder_who_stopped_following_the_chat() -> None:
    # Arrange
    record = _record(21, Parse(command=replace(AGAIN, side=Side.BUY)), reply_to=20)
    holder = [Subscription(user_id="u1", chat_id="c")]

    # Act
    intents = intents_for(record, holder, "trace", follow_ups_only=True)

    # Assert
    assert intents == []
    assert intent_ids_for(record, "u1", follow_ups_only=True) == []
    assert len(intent_ids_for(record, "u1")) == 1


def test_a_buy_zone_reaching_past_the_signals_target_is_refused_as_the_same_signal_is() -> None:
    # Arrange: a buy with SL 2630 and TP 2660; "buy more at 2655-2662" puts the target in the zone
    signal = make_signal(sl=D("2630"), tps=(D("2660"),))
    more = replace(
        AGAIN, side=Side.BUY, order_type=OrderType.LIMIT, entry_range=(D("2655"), D("2662"))
    )

    # Act
    refused = reopened(more, signal)

    # Assert
    assert isinstance(refused, Refusal) and refused.reason is Reason.TP_WRONG_SIDE


def test_a_zone_within_the_signals_stop_and_target_opens() -> None:
    signal = make_signal(sl=D("2630"), tps=(D("2660"),))
    more = replace(
        AGAIN, side=Side.BUY, order_type=OrderType.LIMIT, entry_range=(D("2640"), D("2645"))
    )

    opened = reopened(more, signal)

    assert isinstance(opened, Signal) and opened.entry_range == (D("2640"), D("2645"))


def test_add_more_at_a_price_waits_for_that_price_with_a_limit_order() -> None:
    # Arrange: "Sell more at 1.0870-1.0875" under a sell, with no order word of its own
    more = replace(AGAIN, side=Side.SELL, entry_range=(D("1.0870"), D("1.0875")))
    signal = make_signal(
        symbol="EURUSD", side=Side.SELL, entry=D("1.0850"), sl=D("1.0890"), tps=(D("1.0820"),)
    )

    # Act
    opened = reopened(more, signal)

    # Assert: the channel named a better price to add at; it is not taken at market now
    assert isinstance(opened, Signal)
    assert (opened.order_type, opened.entry_range) == (OrderType.LIMIT, (D("1.0870"), D("1.0875")))


def test_buy_again_now_at_a_price_stays_at_market() -> None:
    now = replace(AGAIN, side=Side.BUY, order_type=OrderType.MARKET, entry=D("2650"))

    opened = reopened(now, make_signal())

    assert isinstance(opened, Signal) and opened.order_type is OrderType.MARKET
