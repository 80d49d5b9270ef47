"""Replayed channel histories a trader copying by hand acts on differently (QA round 13)."""

from pathlib import Path

import pytest

from replays import Channel, replay_users

_CHANNEL = Channel(day="2026-11-09", chat="@qa13")
_say, _quote = _CHANNEL.say, _CHANNEL.quote


_replay = replay_users


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


_SIGNAL = "EURUSD BUY 1.0850\nSL 1.0820\nTP 1.0880\nTP 1.0910"


def test_the_same_signal_posted_again_minutes_later_opens_one_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, _SIGNAL),
            _quote("10:04:00", "EURUSD", "1.08550", "1.08558"),
            _say("10:05:00", 251, _SIGNAL),
        ],
    )

    for row in users.values():  # one call, one risk: the repost is recorded, not traded again
        assert row["orders_placed"] == 2 and row["open_positions"] == 2
        assert row["skipped"] == {"signal_repeated": 1}


def test_a_bare_breakeven_after_a_repost_protects_the_trade_of_the_first_post(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, _SIGNAL),
            _say("10:05:00", 251, _SIGNAL),
            _quote("10:20:00", "EURUSD", "1.08700", "1.08708"),
            _say("10:21:00", 252, "Move SL to entry"),
            _say("10:25:00", 253, "Close half", reply=251),
        ],
    )

    for row in users.values():  # both follow-ups reach the one trade the user holds
        assert row["orders_placed"] == 2 and row["sl_tp_changes"] == 2
        assert row["positions_closed"] + row["positions_closed_partially"] >= 1


def test_a_repost_for_those_who_missed_a_stale_first_post_is_traded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    late = {**_say("10:00:00", 250, _SIGNAL), "received": "2026-11-09T10:04:30Z"}
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            late,  # gap-filled 4.5 minutes late: too old to copy
            _say("10:05:00", 251, _SIGNAL),
        ],
    )

    for row in users.values():
        assert row["skipped"] == {"stale_signal": 1} and row["open_positions"] == 2


def test_the_same_levels_after_another_signal_are_a_new_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, _SIGNAL),
            _say("10:02:00", 251, "GBPUSD SELL NOW 1.2700\nSL 1.2730\nTP 1.2650"),
            _say("10:05:00", 252, _SIGNAL),
        ],
    )

    for row in users.values():
        assert row["orders_placed"] == 5 and row["skipped"] == {}


def test_deleting_the_double_post_keeps_the_trade_of_the_first(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deletion = {"date": "2026-11-09T10:06:00Z", "chat": "@qa13", "id": 251, "deleted": True}
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, _SIGNAL),
            _say("10:00:20", 251, _SIGNAL),
            deletion,
        ],
    )

    for row in users.values():
        assert row["open_positions"] == 2 and row["orders_cancelled"] == 0
        assert row["positions_closed"] == 0


def test_the_same_levels_after_the_channel_closed_its_call_are_a_new_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, _SIGNAL),
            _say("10:03:00", 251, "Close all EURUSD now, news ⚠️"),
            _say("10:08:00", 252, _SIGNAL),
        ],
    )

    for row in users.values():  # out, then in again: the second post is traded
        assert row["positions_closed"] == 2 and row["open_positions"] == 2
