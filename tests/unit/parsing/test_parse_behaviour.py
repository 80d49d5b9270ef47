"""Scenarios that state one behaviour each: safety, types, explain lines, data-driven languages."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from signal_copier.core.model import Action, Scope, Side, SlAnchor
from signal_copier.core.parsing import parse, to_label
from signal_copier.core.parsing.normalize import MAX_CHARS
from signal_copier.core.parsing.tokens import LEXICON


def make_signal_text(side: str = "SELL", entry: str = "1925", sl: str = "1935") -> str:
    """Return a one-line gold signal with the given side and levels."""
    return f"XAUUSD {side} {entry} SL {sl} TP1 1915 TP2 1905"


def test_sell_signal_reads_side_and_levels_as_decimals() -> None:
    result = parse(make_signal_text())

    signal = result.signals[0]
    assert signal.side is Side.SELL
    assert signal.entry == Decimal("1925")
    assert signal.sl == Decimal("1935")
    assert signal.tps == (Decimal("1915"), Decimal("1905"))
    assert all(isinstance(tp, Decimal) for tp in signal.tps)


def test_sell_signal_with_stop_below_entry_is_flagged() -> None:
    result = parse(make_signal_text(sl="1915.5"))

    assert "sl_wrong_side" in result.signals[0].flags


def test_buy_signal_with_targets_descending_is_flagged() -> None:
    result = parse("EURUSD BUY 1.0850 SL 1.0800 TP1 1.0950 TP2 1.0900")

    assert result.signals[0].flags == ("tps_out_of_order",)


def test_explain_lines_name_the_words_read() -> None:
    result = parse(make_signal_text())

    assert '"SELL" → side=sell' in result.explain
    assert '"SL 1935" → sl=1935' in result.explain
    assert '"TP1 1915" → tp1=1915' in result.explain


def test_zone_sets_range_and_clears_entry() -> None:
    signal = parse("XAUUSD BUY 1925-1922 SL 1915 TP 1935").signals[0]

    assert signal.entry is None
    assert signal.entry_range == (Decimal("1922"), Decimal("1925"))
    assert signal.reference_price == Decimal("1923.5")


def test_no_order_word_marks_the_order_type_implicit() -> None:
    implicit = parse("EURUSD BUY 1.0850 SL 1.0800 TP 1.0900").signals[0]
    explicit = parse("EURUSD BUY NOW 1.0850 SL 1.0800 TP 1.0900").signals[0]

    assert implicit.order_type_implicit and not explicit.order_type_implicit


def test_close_half_then_breakeven_is_one_close_command() -> None:
    command = parse("Close half and move SL to breakeven").command

    assert command is not None
    assert command.action is Action.CLOSE
    assert command.fraction == Decimal("0.5")
    assert command.then_sl_anchor is SlAnchor.ENTRY
    assert command.scope is Scope.REPLY


def test_close_all_named_symbol_scopes_to_that_symbol() -> None:
    command = parse("CLOSE ALL XAUUSD NOW").command

    assert command is not None and command.scope is Scope.SYMBOL and command.symbol == "XAUUSD"


def test_signal_without_symbol_is_not_read_as_a_stop_change() -> None:
    result = parse("BUY 2650-2645 SL 2640 TP 2660")

    assert result.kind == "none" and result.reason == "no_symbol"


def test_results_and_traps_open_nothing() -> None:
    texts = ["TP1 hit +40 pips ✅", "Close all your worries 😊", "3 reasons to buy gold this week"]

    kinds = [parse(text).kind for text in texts]

    assert kinds == ["none", "none", "none"]


def test_every_required_language_is_loaded_from_data() -> None:
    assert {"en", "es", "pt", "ru", "fa", "ar", "hi-Latn"} <= set(LEXICON.languages)


def test_very_long_input_is_capped_and_still_parsed() -> None:
    text = make_signal_text() + " blah" * (MAX_CHARS // 4)

    result = parse(text)

    assert result.kind == "open"


def test_to_label_is_one_json_document() -> None:
    texts = [make_signal_text(), "Move SL to entry", "Close half", "Cancel the limit order", "hi"]

    labels = [to_label(parse(text)) for text in texts]

    assert [label["kind"] for label in labels] == ["open", "modify", "close", "cancel", "none"]
    assert all(json.loads(json.dumps(label)) == label for label in labels)


@pytest.mark.parametrize(
    ("text", "tps", "numbers"),
    [
        ("TP3 changed to 2680", ["2680"], (3,)),
        ("move tp2 to 2663", ["2663"], (2,)),
        ("TP 2 to 2663 and TP3 2680", ["2663", "2680"], (2, 3)),  # "2" numbers the target
        ("Move TP to 2663", ["2663"], ()),
    ],
)
def test_a_numbered_target_change_says_which_target_it_replaces(
    text: str, tps: list[str], numbers: tuple[int, ...]
) -> None:
    command = parse(text).command
    assert command is not None
    assert [str(tp) for tp in command.tps] == tps and command.tp_numbers == numbers


def test_explain_names_the_result_line_the_instruction_and_the_words_left_unread() -> None:
    parsed = parse(
        "SPX500 | Update\nFinal Target Hit +480 Pip\nI am closing it fully now, great run"
    )

    assert parsed.command is not None and parsed.command.action is Action.CLOSE
    assert '"Final Target Hit +480 Pip" → a report or header line, not an instruction' in (
        parsed.explain
    )
    assert '"I am" → leads in to the instruction, not part of it' in parsed.explain
    assert '"great" → not read: words that change nothing here' in parsed.explain


def test_explain_says_a_current_price_quote_is_no_level() -> None:
    parsed = parse("XAUUSD BUY\nCurrent price 4344.8\nEntry 4344-4345\nSL 4330\nTP 4360")

    assert parsed.signals[0].entry_range == (Decimal("4344"), Decimal("4345"))
    assert parsed.explain[0] == (
        '"Current price 4344.8" → the price now, not a level (the signal gives its entry)'
    )
