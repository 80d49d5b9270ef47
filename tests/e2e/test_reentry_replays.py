"""QA round 10's re-entry channels (t03, t04, t05) replayed end to end, in order and shuffled."""

import json
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from delivery import replay
from signal_copier import cli
from signal_copier.telegram import replay as replay_file

Row = dict[str, Any]


def _say(at: str, chat: str, id: int, text: str, reply: int | None) -> Row:
    return {"date": at, "chat": chat, "id": id, "text": text, "reply_to": reply}


def _quote(at: str, symbol: str, bid: str, ask: str) -> Row:
    return {"date": at, "quote": {symbol: [bid, ask]}}


# Each: the channel up to the re-entry and a move, then the line that takes every profit.
BUY_AGAIN = [  # t03: "Buy again from here, same SL and TP" replying to the open buy
    _quote("2026-03-03T11:59:50Z", "XAUUSD", "2650.00", "2650.30"),
    _say("2026-03-03T12:00:00Z", "@goldkingfx", 20, "XAUUSD BUY NOW 2650\nSL 2644\nTP 2660", None),
    _quote("2026-03-03T12:05:00Z", "XAUUSD", "2647.50", "2647.80"),
    _say("2026-03-03T12:05:10Z", "@goldkingfx", 21, "Buy again from here 🔁 same SL and TP", 20),
]
ADD_MORE = [  # t04: "Add more at 2645" replying: a buy limit at 2645 with the signal's levels
    _quote("2026-03-03T12:59:50Z", "XAUUSD", "2650.00", "2650.30"),
    _say(
        "2026-03-03T13:00:00Z", "@xauvipsignals", 30, "XAUUSD BUY 2650 🟢\nSL 2640\nTP 2665", None
    ),
    _say("2026-03-03T13:03:00Z", "@xauvipsignals", 31, "Add more at 2645 👀", 30),
    _quote("2026-03-03T13:20:00Z", "XAUUSD", "2644.70", "2645.00"),
]
REENTER = [  # t05: stopped out, then "Re-enter ✅ SL 1.0810 TP 1.0900" replying
    _quote("2026-03-04T08:59:50Z", "EURUSD", "1.08500", "1.08508"),
    _say("2026-03-04T09:00:00Z", "@eurusdpro", 40, "EURUSD BUY 1.0850\nSL 1.0820\nTP 1.0900", None),
    _quote("2026-03-04T09:30:00Z", "EURUSD", "1.08190", "1.08198"),
    _quote("2026-03-04T10:00:00Z", "EURUSD", "1.08400", "1.08408"),
    _say("2026-03-04T10:00:05Z", "@eurusdpro", 41, "Re-enter ✅ SL 1.0810 TP 1.0900", 40),
]
TAKE_PROFIT = {
    "t03": _quote("2026-03-03T12:40:00Z", "XAUUSD", "2660.20", "2660.50"),
    "t04": _quote("2026-03-03T14:00:00Z", "XAUUSD", "2665.10", "2665.40"),
    "t05": _quote("2026-03-04T11:00:00Z", "EURUSD", "1.09005", "1.09013"),
}
CHANNELS = {"t03": BUY_AGAIN, "t04": ADD_MORE, "t05": REENTER}
# What each user holds before the profit line: (sl, tp) of every position.
HELD = {
    "t03": [(D("2644"), D("2660")), (D("2644"), D("2660"))],
    "t04": [(D("2640"), D("2665")), (D("2640"), D("2665"))],
    "t05": [(D("1.0810"), D("1.0900"))],
}


def _write(tmp_path: Path, lines: list[Row]) -> Path:
    channel = tmp_path / "channel.jsonl"
    channel.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    return channel


@pytest.mark.parametrize("name", sorted(CHANNELS))
def test_the_reentry_is_copied_as_a_second_trade_that_takes_its_profit(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Arrange
    channel = _write(tmp_path, [*CHANNELS[name], TAKE_PROFIT[name]])

    # Act
    assert cli.main(["demo", "--json", "--replay", str(channel)]) == 0
    summary = json.loads(capsys.readouterr().out)

    # Assert: the signal and its re-entry each placed once, both closed at the target
    assert (summary["signals"], summary["commands"], summary["ignored"]) == (1, 1, 0)
    for user in summary["users"].values():
        assert (user["orders_placed"], user["open_positions"]) == (2, 0)
        assert user["skipped"] == {}


@pytest.mark.parametrize("name", sorted(CHANNELS))
async def test_the_reentry_holds_the_levels_it_was_given(name: str, tmp_path: Path) -> None:
    # Arrange
    events = replay_file.load(_write(tmp_path, CHANNELS[name]))

    # Act
    state = await replay(events, tmp_path / "run", seed=None)

    # Assert
    for user, positions in state.positions.items():
        assert sorted((sl, tp) for *_, sl, tp in positions) == HELD[name], user
        assert state.orders[user] == []


@pytest.mark.parametrize("seed", range(1, 4))
@pytest.mark.parametrize("name", sorted(CHANNELS))
async def test_the_reentry_shuffled_and_duplicated_ends_as_in_order(
    name: str, seed: int, tmp_path: Path
) -> None:
    # Arrange
    events = replay_file.load(_write(tmp_path, CHANNELS[name]))

    # Act
    in_order = await replay(events, tmp_path / "in-order", seed=None)
    shuffled = await replay(events, tmp_path / "shuffled", seed=seed)

    # Assert
    assert shuffled == in_order
