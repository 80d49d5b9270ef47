"""Replayed channel histories a trader copying by hand acts on differently (QA round 12)."""

from pathlib import Path

import pytest

from replays import Channel, replay_users

_CHANNEL = Channel(day="2026-11-04", chat="@qa12")
_say, _quote = _CHANNEL.say, _CHANNEL.quote


_replay = replay_users


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


def test_close_the_remaining_lots_after_a_part_closes_all_that_is_left(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("08:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("09:00:00", 90, "EURUSD BUY 1.0850\nSL 1.0820\nTP 1.0910\nLot: 1.00"),
            _quote("09:20:00", "EURUSD", "1.08700", "1.08708"),
            _say("09:20:05", 91, "Close 0.3 lots ✅ let 0.7 run 🏃", reply=90),
            _say("09:40:05", 92, "Close the remaining 0.7 lots, done for today", reply=90),
        ],
    )

    for row in users.values():  # the channel is out: nothing of its trade is left open
        assert row["positions_closed_partially"] == 1 and row["positions_closed"] == 1
        assert row["open_positions"] == 0


def test_take_another_25_percent_off_closes_a_second_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("13:59:50", "US30", "42000.0", "42002.0"),
            _say("14:00:00", 100, "US30 BUY 42000\nSL 41900\nTP1 42100\nTP2 42200"),
            _quote("14:10:00", "US30", "42060.0", "42062.0"),
            _say("14:10:05", 101, "Take 25% off here 💵", reply=100),
            _say("14:20:05", 102, "Take another 25% off 💵", reply=100),
        ],
    )

    for row in users.values():  # two parts taken from each of the two legs
        assert row["positions_closed_partially"] == 4 and row["open_positions"] == 2


def test_trail_sl_to_tp2_locks_the_runner_at_the_second_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("11:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say(
                "12:00:00", 110, "XAUUSD BUY 2650\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2665\nTP4 2675"
            ),
            _quote("12:10:00", "XAUUSD", "2655.10", "2655.40"),
            _quote("12:20:00", "XAUUSD", "2660.10", "2660.40"),
            _quote("12:30:00", "XAUUSD", "2665.10", "2665.40"),
            _say("12:30:10", 112, "TP3 done 🔥 trail SL to TP2", reply=110),
            _quote("12:45:00", "XAUUSD", "2659.90", "2660.20"),
        ],
    )

    # alice's runner sat at breakeven: the channel's trail moves it to 2660, where it is stopped
    assert users["alice"]["sl_tp_changes"] == 4 and users["alice"]["open_positions"] == 0
    assert users["bob"]["open_positions"] == 0  # his own trail had it there already


def test_close_half_followed_by_an_emoji_and_its_reason_closes_half(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 140, "XAUUSD SELL 2650\nSL 2656\nTP1 2644\nTP2 2638"),
            _quote("10:05:00", "XAUUSD", "2647.00", "2647.30"),
            _say("10:05:05", 141, "Close half 💰 price reacting", reply=140),
        ],
    )

    for row in users.values():
        assert row["positions_closed"] + row["positions_closed_partially"] >= 1
        assert row["open_positions"] >= 1


def test_a_metal_pair_written_with_a_slash_moves_its_stop_to_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 231, "GOLD SELL 2650\nSL 2656\nTP 2640"),
            _quote("10:20:00", "XAUUSD", "2646.00", "2646.30"),
            _say("10:21:00", 233, "XAU/USD move SL to BE"),
        ],
    )

    for row in users.values():
        assert row["sl_tp_changes"] == 1


def test_arabic_levels_with_targets_numbered_in_words_complete_the_split_signal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("10:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("11:00:00", 240, "الذهب شراء الآن 🟢"),
            _say(
                "11:00:30", 241, "وقف الخسارة 2644\nالهدف الأول 2656\nالهدف الثاني 2662", reply=240
            ),
        ],
    )

    assert users["alice"]["orders_placed"] == 2  # she skipped it for no stop: the levels open it
    assert users["bob"]["sl_tp_changes"] == 1  # his default-stop trade takes the first target


def test_hinglish_and_german_reentries_open_a_second_trade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _quote("09:59:50", "EURUSD", "1.08500", "1.08508"),
            _say("10:00:00", 250, "GOLD BUY 2650\nSL 2644\nTP 2662"),
            _quote("10:05:00", "XAUUSD", "2648.00", "2648.30"),
            _say("10:05:05", 251, "Dobara buy karo yahan se, same SL TP 🔁", reply=250),
            _say("10:10:00", 270, "EURUSD VERKAUFEN 1.0850\nSL 1.0880\nTP 1.0800"),
            _say("10:15:00", 271, "Nochmal verkaufen bei 1.0865", reply=270),
            _quote("10:25:00", "EURUSD", "1.08660", "1.08668"),
            _say("10:30:00", 272, "50% Gewinne mitnehmen ✅", reply=270),
        ],
    )

    for row in users.values():  # gold ×2 at market, EURUSD at market and its limit 15 pips higher
        assert row["orders_placed"] == 4 and row["positions_closed_partially"] >= 1


def test_a_sell_limit_typed_as_buy_opens_when_the_channel_fixes_the_side(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit = _say("10:00:40", 170, "XAUUSD SELL LIMIT 2660\nSL 2667\nTP1 2652\nTP2 2646")
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 170, "XAUUSD BUY LIMIT 2660\nSL 2667\nTP1 2652\nTP2 2646"),
            {**edit, "edit_date": edit["date"]},
            _quote("10:30:00", "XAUUSD", "2660.20", "2660.50"),
        ],
    )

    for row in users.values():  # refused as a buy, nothing placed; the corrected sell fills
        assert row["orders_placed"] == 2 and row["open_positions"] == 2


def test_a_scalp_with_a_typod_stop_opens_when_the_channel_replies_the_stop_it_meant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    users = _replay(
        tmp_path,
        capsys,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 290, "XAUUSD BUY 2650\nSL 2604\nTP 2653"),
            _say("10:00:30", 291, "SL 2644", reply=290),
        ],
    )

    for row in users.values():  # refused as a typo of 2644, opened once 2644 was given
        assert row["skipped"] == {"price_typo": 1}
        assert row["orders_placed"] == 1 and row["open_positions"] == 1
