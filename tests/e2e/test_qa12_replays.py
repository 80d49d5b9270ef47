"""Replayed channel histories a trader copying by hand acts on differently (QA round 12)."""

import json
from pathlib import Path
from typing import Any

import pytest

from signal_copier import cli

Row = dict[str, Any]


def _replay(tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[Row]) -> Row:
    channel = tmp_path / "c.jsonl"
    channel.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    assert cli.main(["demo", "--json", "--replay", str(channel)]) == 0
    users: Row = json.loads(capsys.readouterr().out)["users"]
    return users


def _say(at: str, id: int, text: str, reply: int | None = None) -> Row:
    return {"date": f"2026-11-04T{at}Z", "chat": "@qa12", "id": id, "text": text, "reply_to": reply}


def _quote(at: str, symbol: str, bid: str, ask: str) -> Row:
    return {"date": f"2026-11-04T{at}Z", "quote": {symbol: [bid, ask]}}


def test_sell_more_at_a_higher_zone_waits_for_it_instead_of_selling_now(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("08:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("09:00:00", 40, "EURUSD SELL 1.0850\nSL 1.0890\nTP1 1.0820\nTP2 1.0790"),
            _say("09:05:00", 41, "Sell more at 1.0870-1.0875 👀", reply=40),
        ],
    )

    # the re-entry's two legs wait 20 pips higher; only the signal's legs are filled
    for row in users.values():
        assert row["orders_placed"] == 4 and row["open_positions"] == 2


def test_the_added_sells_fill_when_the_price_reaches_the_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("08:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("09:00:00", 40, "EURUSD SELL 1.0850\nSL 1.0890\nTP1 1.0820\nTP2 1.0790"),
            _say("09:05:00", 41, "Sell more at 1.0870-1.0875 👀", reply=40),
            _quote("09:20:00", "EURUSD", "1.08760", "1.08768"),
            _say("09:30:00", 42, "Close all EURUSD trades now ❌"),
        ],
    )

    for row in users.values():
        assert row["positions_closed"] == 4 and row["open_positions"] == 0
