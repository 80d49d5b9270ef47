"""Replayed channel histories whose follow-ups a trader copying by hand acts on (QA round 10)."""

from pathlib import Path

import pytest

from replays import Channel, replay_users

_CHANNEL = Channel(day="2026-03-05", chat="@qa10")
_say, _quote = _CHANNEL.say, _CHANNEL.quote


_replay = replay_users


def test_close_half_a_lot_reply_keeps_the_rest_of_each_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 70, "XAUUSD BUY 2650\nSL 2645\nTP 2665\nLot: 1.00"),
            _quote("10:15:00", "XAUUSD", "2656.00", "2656.30"),
            _say("10:15:10", 71, "Close 0.5 lots now, let the rest run 🏃", reply=70),
        ],
    )

    for row in users.values():  # the channel closed half of its 1.00 lot: the runner stays
        assert row["positions_closed_partially"] == 1 and row["positions_closed"] == 0
        assert row["open_positions"] == 1


def test_take_30_percent_off_closes_a_part_and_keeps_both_legs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 80, "GOLD SELL 2650\nSL 2656\nTP1 2644\nTP2 2638"),
            _quote("10:10:00", "XAUUSD", "2646.00", "2646.30"),
            _say("10:10:05", 81, "Take 30% off here 💵", reply=80),
        ],
    )

    for row in users.values():
        assert row["positions_closed_partially"] >= 1 and row["positions_closed"] == 0
        assert row["open_positions"] == 2


def test_german_close_all_with_its_reason_closes_every_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("08:59:50", "GER40", "20000.0", "20001.5"),
            _say("09:00:00", 230, "DAX Verkauf jetzt 20000\nSL 20060\nTP1 19940\nTP2 19880"),
            _quote("09:40:00", "GER40", "19960.0", "19961.5"),
            _say("09:40:05", 232, "Alles schließen, Gewinne sichern ✅"),
        ],
    )

    for row in users.values():
        assert row["positions_closed"] == 2 and row["open_positions"] == 0


def test_arabic_plural_orders_move_the_stop_then_close_the_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("10:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("11:00:00", 200, "🟡 الذهب شراء الآن 2650\nوقف الخسارة 2644\nالهدف الأول 2656"),
            _quote("11:20:00", "XAUUSD", "2654.00", "2654.30"),
            _say("11:20:10", 201, "انقلوا وقف الخسارة إلى نقطة الدخول", reply=200),
            _say("11:40:05", 202, "أغلقوا الصفقة الآن 🔒", reply=200),
        ],
    )

    for row in users.values():
        assert row["sl_tp_changes"] == 1 and row["positions_closed"] == 1
        assert row["open_positions"] == 0


def test_indonesian_follow_ups_close_half_move_the_stop_then_close_all(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("10:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("11:00:00", 220, "XAUUSD BUY SEKARANG 2650\nSL 2644\nTP1 2656\nTP2 2662"),
            _quote("11:15:00", "XAUUSD", "2654.00", "2654.30"),
            _say("11:15:05", 221, "Tutup setengah posisi dan pindahkan SL ke entry ya", reply=220),
            _say("11:30:05", 222, "Tutup semua posisi sekarang"),
        ],
    )

    for row in users.values():
        assert row["sl_tp_changes"] >= 1 and row["open_positions"] == 0
        assert row["positions_closed"] + row["positions_closed_partially"] >= 2


def test_french_stop_to_the_elided_entry_point_moves_the_stop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 240, "XAUUSD VENTE 2650\nSL 2656\nTP 2638"),
            _quote("10:20:00", "XAUUSD", "2645.00", "2645.30"),
            _say("10:20:10", 241, "Mettez le SL au point d'entrée", reply=240),
        ],
    )

    for row in users.values():
        assert row["sl_tp_changes"] == 1 and row["open_positions"] == 1


def test_close_half_and_stop_to_a_price_moves_the_stop_of_what_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 440, "EURUSD ACHAT 1.0850\nSL 1.0820\nTP 1.0900"),
            _quote("10:30:00", "EURUSD", "1.08750", "1.08758"),
            _say("10:30:05", 441, "Fermez 50% et déplacez le SL à 1.0860", reply=440),
            _quote("10:40:00", "EURUSD", "1.08590", "1.08598"),  # the new stop is hit
        ],
    )

    for row in users.values():  # half closed, the rest stopped out at 1.0860 (not 1.0820)
        assert row["positions_closed_partially"] == 1 and row["sl_tp_changes"] == 1
        assert row["open_positions"] == 0


def test_arabic_pair_named_in_words_opens_and_its_half_close_moves_the_stop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 430, "اليورو دولار بيع الآن 1.0850\nوقف الخسارة 1.0880\nالهدف 1.0810"),
            _quote("10:20:00", "EURUSD", "1.08300", "1.08308"),
            _say("10:20:05", 431, "إغلاق نصف الصفقة وتحريك الوقف إلى الدخول", reply=430),
        ],
    )

    for row in users.values():
        assert row["orders_placed"] == 1 and row["positions_closed_partially"] == 1
        assert row["sl_tp_changes"] == 1 and row["open_positions"] == 1


@pytest.mark.parametrize("cancel", ["إلغاء الأمر المعلق", "Annulez l'ordre limite"])
def test_arabic_and_french_cancel_of_a_pending_order_cancels_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], cancel: str
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 940, "XAUUSD SELL LIMIT 2658\nSL 2664\nTP 2650"),
            _say("10:30:00", 941, cancel, reply=940),
        ],
    )

    for row in users.values():
        assert row["orders_cancelled"] == 1 and row["open_positions"] == 0
