"""Replayed channels whose price lines name instruments as Deriv and crypto futures channels do."""

from pathlib import Path

import pytest

from replays import Channel
from replays import replay as _replay

_say = Channel(day="2026-03-03", chat="@deriv").say


def test_a_synthetic_index_quoted_by_its_mt5_name_hits_its_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _replay(
        tmp_path,
        capsys,
        [
            {"date": "2026-03-03T20:00:00Z", "quote": {"Volatility 75 Index": [452000, 452030]}},
            _say("20:00:05", 1, "Volatility 75 Index SELL NOW 452000\nSL 455000\nTP 448000"),
            {"date": "2026-03-03T20:30:00Z", "quote": {"Volatility 75 Index": [447900, 447930]}},
        ],
    )

    alice, bob = summary["users"]["alice"], summary["users"]["bob"]
    assert alice["orders_placed"] == 1 and alice["open_positions"] == 0  # closed by its TP
    assert alice["skipped"] == {}
    assert bob["skipped"] == {"spread_too_wide": 1}  # 30 points is 300 pips > his 50


def test_a_usdt_pair_quoted_as_the_channel_writes_it_moves_the_usd_market(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = _replay(
        tmp_path,
        capsys,
        [
            {"date": "2026-03-03T20:00:00Z", "quote": {"SOLUSDT": [200, 200.1]}},
            _say("20:00:05", 1, "SOL/USDT LONG now 200 SL 190 TP 220"),
        ],
    )

    for row in summary["users"].values():  # 200 is SOLUSD's price now (its default is 140)
        assert row["orders_placed"] == 1 and row["open_positions"] == 1 and row["skipped"] == {}
