from datetime import timedelta
from decimal import Decimal as D

import pytest

from builders import NOW, gold_spec, make_signal, quote, settings
from signal_copier.core import guards
from signal_copier.core.model import OrderType, Side


def test_signal_older_than_max_age_is_stale() -> None:
    skip = guards.check_age(NOW, NOW + timedelta(seconds=61), 60)
    assert skip is not None and skip.reason == "stale_signal"


def test_signal_within_max_age_passes() -> None:
    assert guards.check_age(NOW, NOW + timedelta(seconds=60), 60) is None


@pytest.mark.parametrize(
    ("flag", "reason"),
    [("sl_wrong_side", "sl_wrong_side"), ("tps_out_of_order", "tps_out_of_order")],
)
def test_parser_flags_become_skips(flag: str, reason: str) -> None:
    skip = guards.check_signal(make_signal(flags=(flag,)), settings(), NOW)
    assert skip is not None and skip.reason == reason


def test_symbol_outside_allowed_list_is_skipped() -> None:
    skip = guards.check_signal(make_signal(), settings(allowed_symbols=["EURUSD"]), NOW)
    assert skip is not None and skip.reason == "symbol_not_allowed"


def test_an_allowed_index_is_allowed_however_the_channel_writes_it() -> None:
    allowed = settings(allowed_symbols=["US500"])

    written = guards.check_signal(make_signal(symbol="SPX500"), allowed, NOW)
    other = guards.check_signal(make_signal(symbol="US30"), allowed, NOW)

    assert written is None
    assert other is not None and other.reason == "symbol_not_allowed"


@pytest.mark.parametrize(
    ("window", "hour", "inside"),
    [
        ("08:00-20:00", 9, True),
        ("08:00-20:00", 21, False),
        ("22:00-02:00", 23, True),
        ("22:00-02:00", 3, False),
    ],
)
def test_trading_hours_window(window: str, hour: int, inside: bool) -> None:
    assert guards.in_hours(window, NOW.replace(hour=hour)) is inside


def test_entry_off_by_power_of_ten_is_a_decimal_slip() -> None:
    skip = guards.check_market(
        make_signal(entry=D("265.0"), sl=D(264), tps=(D(266),)),
        quote("2650", "2650.3"),
        gold_spec(),
        settings(),
    )
    assert skip is not None and skip.reason == "price_decimal_slip"


@pytest.mark.parametrize(
    "ratio",
    ["0.3162", "0.3163", "0.32", "0.3200001", "1", "3.1599999", "3.16", "3.1622", "3.1623", "10"],
)
def test_a_decimal_slip_is_judged_by_the_power_of_ten_between_price_and_reference(
    ratio: str,
) -> None:
    reference = D("2650.30")
    price = reference * D(ratio)

    by_definition = abs((price / reference).log10()) >= guards.SLIP_LOG10

    assert guards.slipped(price, reference) is by_definition


def test_sl_beyond_the_price_is_left_to_planning_which_knows_the_entry() -> None:
    buy_stop = make_signal(
        order_type=OrderType.STOP, entry=D(2660), sl=D(2651), tps=(D(2670),)
    )  # its SL lies between the price and the entry: judged against the entry
    assert guards.check_market(buy_stop, quote("2650", "2650.3"), gold_spec(), settings()) is None


def test_wide_spread_is_refused_when_a_maximum_is_set() -> None:
    skip = guards.check_market(
        make_signal(), quote("2650", "2652"), gold_spec(), settings(max_spread_pips="5")
    )
    assert skip is not None and skip.reason == "spread_too_wide"


def test_sane_signal_passes_market_guards() -> None:
    assert (
        guards.check_market(
            make_signal(), quote("2650", "2650.3"), gold_spec(), settings(max_spread_pips="5")
        )
        is None
    )


def test_max_open_trades_reached_is_refused() -> None:
    skip = guards.check_open_trades(3, settings(max_open_trades=3))
    assert skip is not None and skip.reason == "max_open_trades"


def test_paused_user_is_refused_until_the_pause_ends() -> None:
    assert guards.check_user(True, "broker_breaker", NOW + timedelta(minutes=5), NOW) is not None
    assert guards.check_user(True, "broker_breaker", NOW - timedelta(seconds=1), NOW) is None
    assert guards.check_user(True, "kill_switch", None, NOW) is not None
    stopped = guards.check_user(False, "", None, NOW)
    assert stopped is not None and stopped.reason == "copying_stopped"


def test_a_user_whose_broker_account_was_removed_is_told_to_connect_one() -> None:
    skip = guards.check_user(True, "broker_not_connected", None, NOW)
    assert skip is not None and skip.reason == "broker_not_connected"
    assert skip.detail == "no broker account is connected: connect one to copy again"
    stopped = guards.check_user(False, "broker_not_connected", None, NOW)
    assert stopped is not None and stopped.reason == "copying_stopped"


def test_daily_loss_limit_reached_is_refused() -> None:
    skip = guards.check_daily_loss(D(-500), D(500))
    assert skip is not None and skip.reason == "daily_loss_limit"
    assert guards.check_daily_loss(D("-499.99"), D(500)) is None


@pytest.mark.parametrize(
    ("side", "tps", "ok"),
    [
        (Side.BUY, ("2655", "2660"), True),
        (Side.BUY, ("2660", "2655"), False),
        (Side.BUY, ("2645",), False),
        (Side.SELL, ("2645", "2640"), True),
        (Side.SELL, ("2640", "2645"), False),
    ],
)
def test_tps_must_run_away_from_entry_in_order(side: Side, tps: tuple[str, ...], ok: bool) -> None:
    signal = make_signal(side=side, sl=None, tps=tuple(D(t) for t in tps))
    assert guards.tps_in_order(signal) is ok
    skip = guards.check_signal(signal, settings(), NOW)
    assert (skip is None) is ok


@pytest.mark.parametrize("flag", ["entry_off_scale", "sl_off_scale", "tp_off_scale"])
def test_a_level_the_parser_flagged_as_off_scale_is_a_decimal_slip(flag: str) -> None:
    skip = guards.check_signal(make_signal(flags=(flag, "tps_out_of_order")), settings(), NOW)
    assert skip is not None and skip.reason == "price_decimal_slip"
