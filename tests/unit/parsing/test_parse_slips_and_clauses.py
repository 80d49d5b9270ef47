"""Scenarios for decimal slips kept and flagged, and for commands followed by an explanation."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.model import Action, Scope, Side
from signal_copier.core.parsing import parse


def test_entry_a_power_of_ten_off_is_kept_as_written_and_flagged() -> None:
    result = parse("AUDUSD buy 6.6000\nsl 0.6550\ntp 0.6700")

    signal = result.signals[0]
    assert signal.entry == Decimal("6.6000")
    assert "entry_off_scale" in signal.flags
    assert '"buy 6.6000" → entry=6.6000' in result.explain


def test_stop_a_power_of_ten_off_is_kept_and_flagged() -> None:
    signal = parse("AUDUSD buy 0.6600\nsl 6.550\ntp 0.6700").signals[0]

    assert signal.sl == Decimal("6.550")
    assert "sl_off_scale" in signal.flags


def test_target_a_power_of_ten_off_is_kept_and_flagged() -> None:
    signal = parse("XAUUSD buy 2350 sl 2340 tp 2360 tp 23700").signals[0]

    assert signal.tps == (Decimal("2360"), Decimal("23700"))
    assert signal.flags == ("tp_off_scale",)


def test_consistent_levels_carry_no_scale_flag() -> None:
    signal = parse("AUDUSD buy 0.6600\nsl 0.6550\ntp 0.6700").signals[0]

    assert signal.flags == ()


def test_entry_that_is_no_price_is_dropped_not_flagged() -> None:
    signal = parse("EURUSD sell 5 SL 1.0900 TP 1.0800").signals[0]

    assert signal.entry is None and signal.flags == ()


def test_cancel_followed_by_a_reason_clause_cancels_that_order() -> None:
    command = parse("Cancel the gold sell limit, price is moving against the setup").command

    assert command is not None and command.action is Action.CANCEL
    assert command.symbol == "XAUUSD" and command.side is Side.SELL


def test_close_all_with_check_mark_and_profits_is_a_close_not_a_result() -> None:
    command = parse("Close all US30 now ✅ secure the profits").command

    assert command is not None and command.action is Action.CLOSE
    assert command.scope is Scope.SYMBOL and command.symbol == "US30"
    assert command.fraction == Decimal(1)


def test_past_tense_reports_with_check_marks_stay_results() -> None:
    texts = [
        "TP1 hit ✅ +40 pips",
        "Closed at TP +50 pips ✅",
        "Closed all US30 ✅ secured profits",
    ]

    results = [parse(text) for text in texts]

    assert [(r.kind, r.reason) for r in results] == [("none", "result")] * 3


def test_clause_that_undoes_the_command_leaves_no_command() -> None:
    texts = ["Close all now, unless you are in profit", "Cancel the sell limit, we might hold it"]

    kinds = [parse(text).kind for text in texts]

    assert kinds == ["none", "none"]


def test_close_to_a_level_means_near_and_closes_nothing() -> None:
    result = parse("Move SL close to entry")

    assert result.command is not None and result.command.action is Action.MODIFY


def test_a_close_asked_as_a_question_closes_nothing_and_says_why() -> None:
    result = parse("Close all?")

    assert result.command is None and not result.signals
    assert '"?" → the command is asked, not told: nothing is done' in result.explain


def test_an_order_after_a_question_is_still_told() -> None:
    result = parse("Any questions? Close half now")

    assert result.command is not None
    assert result.command.action is Action.CLOSE
    assert result.command.fraction == Decimal("0.5")
