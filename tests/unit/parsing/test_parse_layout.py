"""Scenarios for reading by layout: which symbol names the signal, labels, bounds, explain lines."""

from __future__ import annotations

from decimal import Decimal

from signal_copier.core.model import Action, Scope, SlAnchor
from signal_copier.core.parsing import parse
from signal_copier.core.parsing.fields import MAX_TPS
from signal_copier.core.parsing.normalize import MAX_CHARS
from signal_copier.core.parsing.reader import MAX_SIGNALS


def test_a_coin_in_prose_loses_to_the_pair_next_to_the_side_word_and_explain_says_why() -> None:
    result = parse("BTC is dumping, so TNSR/USDT SHORT\nEntry 0.55\nSL 0.60\nTP 0.50")

    assert result.signals[0].symbol == "TNSRUSDT"
    assert '"BTCUSDT" → named less plainly than TNSRUSDT' in result.explain


def test_a_coin_mentioned_only_after_the_levels_never_becomes_the_symbol() -> None:
    result = parse("SHORT\nEntry 0.55\nSL 0.60\nTP 0.50\n(BTC is dumping)")

    assert result.kind == "none" and result.reason == "no_symbol"


def test_two_coins_named_alike_are_refused_as_ambiguous() -> None:
    result = parse("BTCUSDT ETHUSDT LONG\nEntry 3120\nSL 3050\nTP 3200")

    assert result.kind == "none" and result.reason == "ambiguous"


def test_the_other_sides_word_labels_targets_only_when_the_stop_agrees() -> None:
    agreed = parse("GBPUSD\nSELL: 1.2700\nBUY: 1.2650\nSL: 1.2740")
    disagreed = parse("GBPUSD\nBUY: 1.2700\nSELL: 1.2650\nSL: 1.2740")
    no_stop = parse("GOLD\nBuy: 2650\nSell: 2670")

    assert agreed.signals[0].tps == (Decimal("1.2650"),)
    assert '"BUY" → targets of the sell' in agreed.explain
    assert (disagreed.kind, disagreed.reason) == ("none", "ambiguous")
    assert (no_stop.kind, no_stop.reason) == ("none", "ambiguous")


def test_a_close_word_opening_a_level_list_under_a_signal_is_no_command() -> None:
    result = parse("US30 SELL 33800\nSL 34000\nClose 33660 33500")

    assert result.signals[0].tps == (Decimal("33660"), Decimal("33500"))
    assert '"Close" → targets (a level list, not a command)' in result.explain


def test_an_exit_level_list_alone_closes_nothing() -> None:
    assert parse("Close 33660 31500").kind == "none"
    assert parse("Exit: 0.212, 0.218").kind == "none"


def test_two_adjacent_entry_prices_are_a_zone_and_explain_shows_the_step() -> None:
    result = parse("XAUUSD\nBUY NOW: 2318 2314\nSL: 2308\nTP: 2330")

    assert result.signals[0].entry_range == (Decimal("2314"), Decimal("2318"))
    assert '"2318 2314" → entry_range (two edges)' in result.explain


def test_protective_wording_moves_the_stop_and_never_closes() -> None:
    texts = ["Stop to entry and secure the profits", "TP1 done, secure at breakeven"]

    commands = [parse(text).command for text in texts]

    assert all(c is not None and c.action is Action.MODIFY for c in commands)
    assert all(c is not None and c.sl_anchor is SlAnchor.ENTRY for c in commands)
    assert (parse("Secure profits").kind, parse("Secure profits").reason) == ("none", "ambiguous")


def test_a_negated_close_is_dropped_and_the_rest_of_the_instruction_stands() -> None:
    command = parse("SL to entry, don't close").command

    assert command is not None and command.action is Action.MODIFY


def test_a_bot_update_is_a_modify_of_its_named_position_and_explain_names_the_old_value() -> None:
    result = parse("Stop moved\nSymbol: ETHUSD\nSL: 3391.20 ← 3402.75\nPosition: 9a1f02c4")

    command = result.command
    assert command is not None and command.action is Action.MODIFY
    assert (command.scope, command.position_id, command.sl) == (
        Scope.POSITION,
        "9a1f02c4",
        Decimal("3391.20"),
    )
    assert '"3402.75" → num (the value replaced)' in result.explain
    assert '"9a1f02c4" → position_id' in result.explain


def test_a_bot_post_that_opens_a_trade_keeps_its_position_id() -> None:
    text = (
        "Side: SELL\nSymbol: ETHUSD\nPrice: 3400.50\nSL: 3420.00\nTP: 3350.00\nPosition: 9a1f02c4"
    )

    assert parse(text).signals[0].position_id == "9a1f02c4"


def test_targets_past_the_bound_are_not_read() -> None:
    text = "XAUUSD BUY 2650 SL 2640 " + " ".join(f"TP {2651 + n}" for n in range(40))

    assert len(parse(text).signals[0].tps) == MAX_TPS


def test_more_signals_than_the_bound_open_none_of_them() -> None:
    text = "\n".join(
        "EURUSD BUY 1.0850 SL 1.0800 TP 1.0900\nGBPUSD SELL 1.27 SL 1.28 TP 1.26"
        for _ in range(MAX_SIGNALS)
    )

    result = parse(text)

    assert (result.kind, result.reason) == ("none", "too_many_signals")


def test_a_signal_past_telegrams_length_is_not_read() -> None:
    text = "x" * MAX_CHARS + " XAUUSD BUY 2650 SL 2640 TP 2660"

    assert parse(text).kind == "none"


def test_numbers_are_normalised_once_whatever_their_writing() -> None:
    texts = {
        "EURUSD BUY 1․0850 SL 1․0820 TP 1․0900": Decimal("1.0850"),
        "EURUSD BUY 1,0850 SL 1,0820 TP 1,0900": Decimal("1.0850"),
        "BTC/USDT LONG Entry 38K SL 36.5K TP 41K": Decimal("38000"),
        "ETH/USDT SHORT Entry: 3.420,50 SL: 3.480,00 TP: 3.300,00": Decimal("3420.50"),
        "XAUUSD SELL $2,650.50 SL $2,660.00 TP $2,635.00": Decimal("2650.50"),
    }

    entries = {text: parse(text).signals[0].entry for text in texts}

    assert entries == texts


def test_an_idea_told_in_the_sides_own_clause_opens_nothing() -> None:
    texts = [
        "EURUSD long idea for next week, entry around 1.0820, stop 1.0780, target 1.0900",
        "Possible buy on gold 2650 SL 2640 TP 2660",
    ]

    assert [parse(text).kind for text in texts] == ["none", "none"]
    assert parse("GOLD BUY NOW 2650 SL 2640 TP 2660\nWe will buy back later at 2640").signals


def test_prose_lines_beside_a_complete_block_are_named_in_the_explanation() -> None:
    result = parse("Don't buy early!\n#ETH/USDT LONG\nEntry: 3000\nTargets: 3100 - 3200\nSL: 2900")

    assert result.signals[0].entry == Decimal(3000)
    assert '"Don\'t buy early" → prose beside a complete signal: its words do not veto it' in (
        result.explain
    )


def test_a_stop_written_as_a_word_is_withheld_and_its_word_is_no_command() -> None:
    result = parse("#BTC/USDT LONG\nEntry: 60000\nTargets: 61000 - 62000\nStop loss :  UPDATE")

    assert result.signals[0].sl is None
    assert '"Stop loss UPDATE" → sl withheld (no level written)' in result.explain


def test_the_other_sides_list_is_the_entry_when_the_targets_have_their_own_label() -> None:
    result = parse("#ATOM/USDT SHORT\nBuy: 27.0\nTargets: 26.0 - 25.0\nSL: 28.0")

    assert (result.signals[0].entry, result.signals[0].tps) == (Decimal("27.0"), (26, 25))
    assert '"27.0" → entry=27.0 (not targets: the targets have their own label)' in result.explain


def test_a_ticked_target_with_a_gain_is_a_result_not_a_new_trade() -> None:
    result = parse("EURUSD BUY 1.0850\nSL 1.0820\nTP 1.0900 ✅\n+50 pips, congrats")

    assert (result.kind, result.reason) == ("none", "result")
