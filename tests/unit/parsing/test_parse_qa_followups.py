"""Follow-ups that replayed channels wrote and the parser once read as new trades or as news."""

from __future__ import annotations

from decimal import Decimal

import pytest

from signal_copier.core.model import Action, Scope, Side
from signal_copier.core.parsing import parse


@pytest.mark.parametrize(
    ("text", "symbol", "side", "sl", "tps"),
    [
        ("SL 18220 for the NAS buy", "NAS100", Side.BUY, "18220", ()),
        ("SL for the NAS buy 18220", "NAS100", Side.BUY, "18220", ()),
        ("stop 18220 on the nas buy", "NAS100", Side.BUY, "18220", ()),
        ("TP 2642 for the gold sell", "XAUUSD", Side.SELL, None, ("2642",)),
        ("tp2 2650 for our gold buys", "XAUUSD", Side.BUY, None, ("2650",)),
    ],
)
def test_a_level_for_a_named_trade_modifies_that_trade_and_opens_nothing(
    text: str, symbol: str, side: Side, sl: str | None, tps: tuple[str, ...]
) -> None:
    result = parse(text)

    assert result.signals == ()
    assert result.command is not None and result.command.action is Action.MODIFY
    assert (result.command.scope, result.command.symbol, result.command.side) == (
        Scope.SYMBOL,
        symbol,
        side,
    )
    assert result.command.sl == (None if sl is None else Decimal(sl))
    assert result.command.tps == tuple(Decimal(tp) for tp in tps)


def test_an_unread_remark_on_a_named_trade_opens_nothing() -> None:
    # "Take profit" here reads as a target label, not a close: whatever it asks, it is no new buy.
    result = parse("Take profit on the gold buy now")

    assert result.signals == ()


@pytest.mark.parametrize(
    "text",
    [
        "Entry for the gold buy: 2650 SL 2640 TP 2660",
        "XAUUSD BUY 2650 SL 2640 TP 2660 for the buy",
        "Signal for XAUUSD BUY 2650 SL 2640 TP 2660",
    ],
)
def test_a_signal_that_mentions_its_own_side_after_for_still_opens(text: str) -> None:
    (signal,) = parse(text).signals

    assert (signal.symbol, signal.side, signal.sl) == ("XAUUSD", Side.BUY, Decimal("2640"))


@pytest.mark.parametrize(
    ("text", "scope", "fraction"),
    [
        ("⚠️ NFP in 10 minutes — CLOSE ALL trades now and cancel pending orders", Scope.ALL, "1"),
        ("High impact news ahead, close all trades", Scope.ALL, "1"),
        ("⚠️ FOMC today. Close all positions", Scope.ALL, "1"),
        ("Due to CPI data, close half of your positions", Scope.REPLY, "0.5"),
    ],
)
def test_a_close_after_the_news_it_acts_before_is_a_close(
    text: str, scope: Scope, fraction: str
) -> None:
    command = parse(text).command

    assert command is not None and command.action is Action.CLOSE
    assert (command.scope, command.fraction) == (scope, Decimal(fraction))


@pytest.mark.parametrize(
    "text",
    [
        "NFP today, don't close your trades",
        "Fed news: if price drops close half",
        "CPI data shows inflation cooling, dollar weak. Close your charts and relax",
    ],
)
def test_news_with_no_order_in_it_stays_no_command(text: str) -> None:
    result = parse(text)

    assert result.command is None and result.signals == ()


@pytest.mark.parametrize(
    ("text", "side"),
    [
        ("XAUUSD SATIŞ 2650\nSL 2660\nTP 2640", Side.SELL),
        ("ALTIN SATIŞ 2650\nSL 2660\nTP 2640", Side.SELL),
        ("XAUUSD ALIŞ\nGİRİŞ: 2650\nSTOP: 2640\nHEDEF 1: 2660", Side.BUY),
        ("Altın Satış 2650\nSL 2660\nTP 2640", Side.SELL),
    ],
)
def test_a_turkish_signal_in_capitals_reads_like_the_same_one_in_lower_case(
    text: str, side: Side
) -> None:
    (signal,) = parse(text).signals

    assert (signal.symbol, signal.side, signal.entry) == ("XAUUSD", side, Decimal("2650"))


@pytest.mark.parametrize(
    ("text", "lots"),
    [
        ("Close 0.3 lots ✅ let 0.7 run 🏃", "0.3"),
        ("Close 0.5 now", "0.5"),
        ("Close the remaining 0.7 lots, done for today", None),
        ("Close half, 0.5 lots", None),
        ("Take 30% off, 0.3 lots", None),
    ],
)
def test_a_close_in_the_channels_lots_names_them_only_when_no_share_is_written(
    text: str, lots: str | None
) -> None:
    result = parse(text)

    assert result.command is not None and result.command.action is Action.CLOSE
    assert result.command.lots == (None if lots is None else Decimal(lots))


@pytest.mark.parametrize(
    "text",
    [
        "Gold gapped through our buy limit and SL at the open ❌ -120 pips. New week 💪",
        "Gold buy ❌ -120 pips",
        "GBPJPY BUY 191.20 ❌ -30 pips",
        "XAUUSD sell ✖ −45 pips, next one soon",
    ],
)
def test_a_loss_in_pips_after_a_cross_is_a_result_never_a_stop_distance(text: str) -> None:
    result = parse(text)

    assert result.signals == () and result.command is None


def test_a_stop_written_with_a_dash_before_its_pips_is_still_a_stop() -> None:
    result = parse("GBPJPY SELL NOW 190.50\nStop Loss:- 45Pips\nTP 189.90")

    assert len(result.signals) == 1 and result.signals[0].sl_pips == Decimal(45)


@pytest.mark.parametrize(
    "text",
    [
        "TP1 ✅ Tomen parciales y muevan el SL al punto de entrada",
        "Tomar parciales y SL a entrada",
        "Tomamos parciales, SL al punto de entrada",
    ],
)
def test_spanish_take_partials_closes_half_and_moves_the_stop_to_entry(text: str) -> None:
    command = parse(text).command

    assert command is not None and command.action is Action.CLOSE
    assert command.fraction == Decimal("0.5") and command.then_sl_anchor is not None


@pytest.mark.parametrize(
    "text", ["No tomen parciales todavía", "Vamos a tomar parciales si llega a 2660"]
)
def test_spanish_partials_negated_or_conditional_are_no_instruction(text: str) -> None:
    assert parse(text).command is None
