"""Replayed channel histories a trader copying by hand acts on differently (QA round 13)."""

from pathlib import Path

import pytest

from replays import Channel, Row, replay

_CHANNEL = Channel(day="2026-11-09", chat="@qa13")
_say, _quote = _CHANNEL.say, _CHANNEL.quote


def _replay(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[Row]) -> Row:
    users: Row = replay(tmp_path, capsys, lines)["users"]
    return users


def test_a_loss_report_after_a_weekend_gap_opens_no_new_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("00:04:50", "XAUUSD", "2628.00", "2628.30"),
            _say(
                "00:05:00",
                171,
                "Gold gapped through our buy limit and SL at the open ❌ -120 pips. "
                "New week, new trades 💪",
            ),
        ],
    )

    for row in users.values():  # a result told, never a buy at market with a 120-pip stop
        assert row["orders_placed"] == 0 and row["open_positions"] == 0


def test_spanish_take_partials_after_tp1_closes_half_and_protects_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 190, "EURUSD COMPRA AHORA 1.0850\nSL 1.0820\nTP 1.0900"),
            _quote("10:20:00", "EURUSD", "1.08700", "1.08708"),
            _say("10:21:00", 191, "TP1 ✅ Tomen parciales y muevan el SL al punto de entrada"),
        ],
    )

    for row in users.values():  # one leg: half of it closed, the stop of the rest at entry
        assert row["positions_closed_partially"] == 1 and row["open_positions"] == 1
        assert row["sl_tp_changes"] == 1
