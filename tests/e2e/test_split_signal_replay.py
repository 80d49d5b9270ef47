"""A channel that posts the side first and the levels a moment later, replayed end to end."""

import json
from pathlib import Path

import pytest

from delivery import replay
from signal_copier import cli
from signal_copier.telegram import replay as replay_file

CHANNEL = [
    {"date": "2026-03-03T10:00:00Z", "quote": {"XAUUSD": [2650.0, 2650.3]}},
    {"date": "2026-03-03T10:00:05Z", "chat": "@gold", "id": 1, "text": "GOLD BUY NOW 2650"},
    # 35 s later, replying: the stop and the targets of that buy
    {
        "date": "2026-03-03T10:00:40Z",
        "chat": "@gold",
        "id": 2,
        "text": "SL 2647.5\nTP1 2660\nTP2 2670",
        "reply_to": 1,
    },
    {"date": "2026-03-03T10:20:00Z", "quote": {"XAUUSD": [2660.1, 2660.4]}},  # TP1 reached
    {
        "date": "2026-03-03T10:21:00Z",
        "chat": "@gold",
        "id": 3,
        "text": "TP1 2660 ✅",
        "reply_to": 1,
    },
    {"date": "2026-03-03T11:00:00Z", "chat": "@gold", "id": 4, "text": "XAUUSD SELL NOW 2660"},
    # half an hour later, not replying: too late to be that sell's levels
    {"date": "2026-03-03T11:30:00Z", "chat": "@gold", "id": 5, "text": "SL 2663 TP 2640"},
]


def _write(tmp_path: Path) -> Path:
    channel = tmp_path / "gold.jsonl"
    channel.write_text("\n".join(json.dumps(line) for line in CHANNEL), encoding="utf-8")
    return channel


def test_side_first_then_levels_is_copied_as_one_protected_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Arrange
    channel = _write(tmp_path)

    # Act
    assert cli.main(["demo", "--json", "--replay", str(channel)]) == 0
    summary = json.loads(capsys.readouterr().out)

    # Assert: two signals, two levels-only follow-ups, the results post ignored
    assert (summary["signals"], summary["commands"], summary["ignored"]) == (2, 2, 1)
    # bob (a default stop for signals without one) took both; the buy got its levels and was
    # closed at its TP1, no second leg was opened; the late levels were recorded, not applied
    bob = summary["users"]["bob"]
    assert (bob["orders_placed"], bob["sl_tp_changes"], bob["open_positions"]) == (2, 1, 1)
    assert bob["skipped"] == {"levels_too_late": 1}
    # alice copies no signal without a stop: the buy is refused, then opened by its levels (its
    # two targets, two legs); the sell's levels came too late to open it
    alice = summary["users"]["alice"]
    assert (alice["orders_placed"], alice["open_positions"]) == (2, 1)
    assert alice["skipped"] == {"no_sl": 2, "levels_too_late": 1}


@pytest.mark.parametrize("seed", range(1, 6))
async def test_the_split_channel_shuffled_and_duplicated_ends_as_in_order(
    seed: int, tmp_path: Path
) -> None:
    # Arrange
    events = replay_file.load(_write(tmp_path))

    # Act
    in_order = await replay(events, tmp_path / "in-order", seed=None)
    shuffled = await replay(events, tmp_path / "shuffled", seed=seed)

    # Assert
    assert shuffled == in_order
    assert in_order.positions["bob"] and in_order.positions["alice"]
