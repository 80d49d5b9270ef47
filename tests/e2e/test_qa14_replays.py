"""Pending entries as a trader expects them (QA round 14): no entry price, and a finished move."""

import json
from decimal import Decimal as D
from pathlib import Path

from delivery import FinalState, replay
from replays import Channel, Row
from signal_copier.core import ids
from signal_copier.core.model import Side
from signal_copier.telegram import replay as replay_file

_CHANNEL = Channel(day="2026-11-10", chat="@qa14")
_say, _quote = _CHANNEL.say, _CHANNEL.quote
_USERS = ("alice", "bob")
Records = dict[str, dict[int, tuple[str, str]]]  # user → message id → (status, reason)


async def _replay(tmp_path: Path, lines: list[Row]) -> tuple[FinalState, Records]:
    """Replay `lines` in order for the demo users; return the accounts and records by message."""
    channel = tmp_path / "c.jsonl"
    channel.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    events = replay_file.load(channel)
    state = await replay(events, tmp_path / "run", seed=None)
    records: Records = {user: {} for user in _USERS}
    for message in (e.message for e in events if e.message is not None):
        for user in _USERS:
            key = ids.intent_id(message.chat_id, message.message_id, message.version, user)
            if key in state.records[user]:
                records[user][message.message_id] = state.records[user][key]
    return state, records


def _prices(state: FinalState, user: str) -> list[tuple[D, D]]:
    """Return the (sl, tp) of each open position of `user`."""
    return sorted((sl, tp) for *_, sl, tp in state.positions[user])


_DONE = ("done", "")
_PLACED = ("placed", "")
_APPLIED = ("applied", "")


async def test_a_buy_limit_without_its_entry_price_is_refused_for_everyone(
    tmp_path: Path,
) -> None:
    state, records = await _replay(
        tmp_path,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 301, "XAUUSD BUY LIMIT SL 2640 TP 2660"),
            _quote("10:30:00", "XAUUSD", "2641.00", "2641.30"),
        ],
    )

    for user in _USERS:  # neither at market nor at a guessed price
        assert state.positions[user] == [] and state.orders[user] == []
        assert records[user] == {301: ("skipped", "no_entry")}


_LIMIT = "XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2655\nTP 2660"
_TO_LIMIT = _quote("11:00:00", "XAUUSD", "2644.70", "2645.00")


async def test_tp1_hit_replying_to_an_unfilled_buy_limit_cancels_it_before_price_fills_it(
    tmp_path: Path,
) -> None:
    state, records = await _replay(
        tmp_path,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 310, _LIMIT),
            _quote("10:29:50", "XAUUSD", "2656.00", "2656.30"),
            _say("10:30:00", 311, "TP1 hit ✅", reply=310),
            _TO_LIMIT,  # the move is over: a fill now would enter a finished trade
        ],
    )

    for user in _USERS:
        assert state.positions[user] == [] and state.orders[user] == []
        assert records[user] == {310: _PLACED, 311: _APPLIED}


async def test_a_tp_report_that_replies_to_no_signal_leaves_the_limit_waiting(
    tmp_path: Path,
) -> None:
    state, records = await _replay(
        tmp_path,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 310, _LIMIT),
            _say("10:30:00", 311, "TP1 hit ✅"),  # which call? nothing is taken back
            _TO_LIMIT,
        ],
    )

    for user in _USERS:
        assert _prices(state, user) == [(D(2635), D(2655)), (D(2635), D(2660))]
        assert state.orders[user] == [] and records[user] == {310: _PLACED}


async def test_a_tp_report_on_a_filled_limit_leaves_its_positions_to_the_channel(
    tmp_path: Path,
) -> None:
    state, records = await _replay(
        tmp_path,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 310, _LIMIT),
            _TO_LIMIT,
            _quote("11:29:50", "XAUUSD", "2652.00", "2652.30"),
            _say("11:30:00", 311, "Closed in profit ✅ +70 pips", reply=310),
        ],
    )

    for user in _USERS:  # filled: the channel manages it with its own follow-ups
        assert _prices(state, user) == [(D(2635), D(2655)), (D(2635), D(2660))]
        assert state.orders[user] == [] and records[user] == {310: _PLACED}


_GOLD = Channel(day="2026-11-16", chat="@qa14gold")


async def test_a_gold_day_sell_limit_fills_runs_to_both_targets_and_a_priceless_limit_is_refused(
    tmp_path: Path,
) -> None:
    say, quote = _GOLD.say, _GOLD.quote
    state, records = await _replay(
        tmp_path,
        [
            quote("07:59:50", "XAUUSD", "2650.00", "2650.30"),
            say("08:00:00", 401, "XAUUSD SELL LIMIT 2660\nSL 2668\nTP 2650\nTP 2640"),
            quote("08:30:00", "XAUUSD", "2660.10", "2660.40"),  # the sell limit fills
            quote("08:45:00", "XAUUSD", "2649.60", "2649.90"),  # TP1
            say("08:46:00", 402, "TP1 hit ✅ move SL to entry", reply=401),
            say("09:30:00", 403, "XAUUSD BUY LIMIT SL 2630 TP 2660"),
            quote("10:00:00", "XAUUSD", "2639.60", "2639.90"),  # TP2
        ],
    )

    for user in _USERS:
        assert state.positions[user] == [] and state.orders[user] == []
    # alice's own breakeven_on_tp1 had already moved her stop to the entry at TP1
    assert records["alice"] == {
        401: _PLACED,
        402: ("skipped", "nothing_to_change"),
        403: ("skipped", "no_entry"),
    }
    assert records["bob"] == {401: _PLACED, 402: ("applied", ""), 403: ("skipped", "no_entry")}


_FX = Channel(day="2026-11-17", chat="@qa14fx")


async def test_a_forex_day_tp1_report_cancels_the_unfilled_eurusd_limit_and_gbpusd_is_managed(
    tmp_path: Path,
) -> None:
    say, quote = _FX.say, _FX.quote
    state, records = await _replay(
        tmp_path,
        [
            quote("07:59:50", "EURUSD", "1.08500", "1.08508"),
            quote("07:59:51", "GBPUSD", "1.27000", "1.27010"),
            say("08:00:00", 501, "EURUSD BUY LIMIT 1.0830\nSL 1.0800\nTP 1.0860\nTP 1.0890"),
            say("08:05:00", 502, "GBPUSD SELL NOW 1.2700\nSL 1.2730\nTP 1.2650"),
            quote("10:29:00", "EURUSD", "1.08610", "1.08618"),
            say("10:30:00", 503, "EURUSD TP1 hit ✅ +30 pips", reply=501),
            quote("10:39:00", "GBPUSD", "1.26800", "1.26810"),
            say("10:40:00", 504, "Close half", reply=502),
            say("10:41:00", 505, "Move SL to entry", reply=502),
            quote("12:00:00", "EURUSD", "1.08290", "1.08298"),  # the cancelled limit's price
        ],
    )

    sell = Side.SELL
    assert state.positions["alice"] == [("GBPUSD", sell, D("0.05"), D("1.27"), D("1.265"))]
    assert state.positions["bob"] == [("GBPUSD.m", sell, D("0.42"), D("1.27"), D("1.265"))]
    for user in _USERS:
        assert state.orders[user] == []
        assert records[user] == {
            501: _PLACED,
            502: _PLACED,
            503: _APPLIED,
            504: _APPLIED,
            505: _APPLIED,
        }


_INDEX = Channel(day="2026-11-18", chat="@qa14idx")


async def test_an_index_day_report_on_a_filled_us30_sell_changes_nothing_and_nas100_is_closed(
    tmp_path: Path,
) -> None:
    say, quote = _INDEX.say, _INDEX.quote
    state, records = await _replay(
        tmp_path,
        [
            quote("13:59:50", "US30", "44250.0", "44252.0"),
            quote("13:59:51", "NAS100", "21100.0", "21101.5"),
            say("14:00:00", 601, "US30 SELL NOW 44250\nSL 44350\nTP 44100\nTP 43950"),
            say("14:02:00", 602, "NAS100 BUY LIMIT 21050\nSL 20990\nTP 21150"),
            quote("14:40:00", "US30", "44090.0", "44092.0"),  # TP1
            say("14:41:00", 603, "US30 TP1 ✅ 150 points 🔥", reply=601),  # filled: left alone
            quote("15:00:00", "NAS100", "21049.0", "21050.5"),  # the buy limit fills
            say("15:30:00", 604, "Close all NAS100 now, news ⚠️"),
            quote("16:00:00", "US30", "43940.0", "43942.0"),  # TP2
        ],
    )

    for user in _USERS:  # US30 ran to both targets; NAS100 filled, then closed on the news
        assert state.positions[user] == [] and state.orders[user] == []
        assert records[user] == {601: _PLACED, 602: _PLACED, 604: _APPLIED}


async def test_tp1_hit_with_a_breakeven_on_an_unfilled_limit_cancels_it(tmp_path: Path) -> None:
    state, records = await _replay(
        tmp_path,
        [
            _quote("09:59:50", "XAUUSD", "2650.00", "2650.30"),
            _say("10:00:00", 310, _LIMIT),
            _quote("10:29:50", "XAUUSD", "2656.00", "2656.30"),
            _say("10:30:00", 311, "TP1 hit ✅ move SL to entry", reply=310),
            _TO_LIMIT,
        ],
    )

    for user in _USERS:
        assert state.positions[user] == [] and state.orders[user] == []
        assert records[user] == {310: _PLACED, 311: _APPLIED}
