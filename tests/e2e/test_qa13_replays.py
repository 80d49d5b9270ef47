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
