from decimal import Decimal as D

import pytest

from builders import make_signal
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.settings import (
    RiskMode,
    effective_settings,
    validate_overrides,
    validate_settings,
)


def test_defaults_are_safe() -> None:
    chosen = validate_settings({})
    assert chosen.risk_mode is RiskMode.FIXED_LOT and chosen.lot == D("0.01")
    assert chosen.max_signal_age_s == 60 and chosen.no_sl.value == "skip"
    assert (chosen.netting, chosen.netting_tp, chosen.near_entry) == ("refuse", 1, "market")
    assert chosen.allow_looser_sl is False


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"lot": "-1"}, "lot"),
        ({"risk_percent": "50"}, "risk_percent"),
        ({"trading_hours": "9-17"}, "trading_hours"),
        ({"trading_hours": "00:00-00:00"}, "trading_hours"),
        ({"symbol_map": {"GOLD": "GOLD.m", "XAUUSD": "XAUUSD.m"}}, "symbol_map"),
        ({"max_signal_age_s": 0}, "max_signal_age_s"),
        ({"risk_mode": "yolo"}, "risk_mode"),
        ({"lott": "0.1"}, "lott"),
        ({"netting": "merge"}, "netting"),
        ({"netting_tp": 0}, "netting_tp"),
        ({"netting_tp": 11}, "netting_tp"),
        ({"near_entry": "skip"}, "near_entry"),
        ({"allow_looser_sl": "maybe"}, "allow_looser_sl"),
    ],
)
def test_invalid_settings_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidSettings, match=field):
        validate_settings(data)


def test_instruments_named_as_channels_write_them_are_read_as_the_parser_names_them() -> None:
    chosen = validate_settings(
        {"allowed_symbols": ["gold", " US500 ", "EURUSD"], "symbol_map": {"Oil": "UKOIL"}}
    )

    assert chosen.allowed_symbols == ("XAUUSD", "US500", "EURUSD")
    assert chosen.symbol_map == {"USOIL": "UKOIL"}


def test_default_sl_mode_needs_pips() -> None:
    with pytest.raises(InvalidSettings, match="default_sl_pips"):
        validate_settings({"no_sl": "default_sl"})


def test_channel_overrides_beat_user_defaults() -> None:
    chosen = effective_settings({"lot": "0.10", "max_signal_age_s": 30}, {"lot": "0.50"})
    assert chosen.lot == D("0.50") and chosen.max_signal_age_s == 30


def test_risk_written_in_the_signal_beats_channel_and_user_who_opted_in() -> None:
    chosen = effective_settings(
        {"lot": "0.10", "use_signal_risk": True},
        {"lot": "0.50"},
        make_signal(risk_percent=D("0.5")),
    )
    assert chosen.risk_mode is RiskMode.RISK_PERCENT and chosen.risk_percent == D("0.5")


def test_lot_written_in_the_signal_beats_risk_mode_when_opted_in() -> None:
    chosen = effective_settings(
        {"risk_mode": "risk_percent", "use_signal_risk": True}, {}, make_signal(lot=D("0.03"))
    )
    assert chosen.risk_mode is RiskMode.FIXED_LOT and chosen.lot == D("0.03")


def test_signal_risk_is_ignored_by_default() -> None:
    chosen = effective_settings({"lot": "0.01"}, {}, make_signal(lot=D("2")))
    assert chosen.lot == D("0.01")


def test_signal_risk_is_ignored_when_the_user_says_so() -> None:
    chosen = effective_settings(
        {"use_signal_risk": False, "lot": "0.1"}, {}, make_signal(lot=D("5"))
    )
    assert chosen.lot == D("0.1")


def test_overrides_are_checked_and_kept_partial() -> None:
    assert validate_overrides({"lot": 0.2}) == {"lot": "0.2"}
    with pytest.raises(InvalidSettings, match="unknown setting"):
        validate_overrides({"colour": "red"})


def test_settings_seen_before_are_validated_once_and_equal() -> None:
    first = effective_settings({"lot": "0.20", "max_signal_age_s": 45}, {"lot": "0.30"})

    again = effective_settings({"lot": "0.20", "max_signal_age_s": 45}, {"lot": "0.30"})

    assert again == first and again.lot == D("0.30")


def test_a_caller_changing_its_symbol_map_changes_no_other_intents_settings() -> None:
    user = {"symbol_map": {"XAUUSD": "GOLD.m"}}
    first = effective_settings(user, {})

    first.symbol_map["XAUUSD"] = "SILVER"  # a careless caller

    assert effective_settings(user, {}).symbol_map == {"XAUUSD": "GOLD.m"}


def test_a_value_equal_to_a_valid_one_but_of_another_type_is_judged_on_its_own() -> None:
    assert effective_settings({"lot": 1}, {}).lot == D(1)  # remembered as valid

    with pytest.raises(InvalidSettings, match="lot"):
        effective_settings({"lot": True}, {})  # True == 1, yet not a lot size


def test_each_signals_own_risk_gets_its_own_settings() -> None:
    user = {"use_signal_risk": True, "risk_mode": "risk_percent"}

    half = effective_settings(user, {}, make_signal(risk_percent=D("0.5")))
    two = effective_settings(user, {}, make_signal(risk_percent=D("2")))

    assert (half.risk_percent, two.risk_percent) == (D("0.5"), D("2"))
