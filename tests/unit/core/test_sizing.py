from decimal import Decimal as D

import pytest

from builders import eurusd_spec, gold_spec, settings
from signal_copier.core.sizing import SizingError, split_volume, total_volume, truncate_volume


@pytest.mark.parametrize(
    ("volume", "step", "expected"),
    [
        ("0.129", "0.01", "0.12"),
        ("0.1", "0.01", "0.1"),
        ("1.99", "0.5", "1.5"),
        ("0.004", "0.01", "0"),
    ],
)
def test_volume_is_truncated_to_step_never_rounded_up(
    volume: str, step: str, expected: str
) -> None:
    assert truncate_volume(D(volume), eurusd_spec(volume_step=D(step))) == D(expected)


@pytest.mark.parametrize(("volume", "step", "shown"), [("100", "0.01", "100"), ("20", "1", "20")])
def test_a_whole_volume_reads_as_a_whole_number_not_in_exponent_form(
    volume: str, step: str, shown: str
) -> None:
    # A record or note shows the volume as str(): "1E+2 lots" is no way to show 100 lots
    assert str(truncate_volume(D(volume), eurusd_spec(volume_step=D(step)))) == shown


def test_fixed_lot_uses_the_configured_lot() -> None:
    volume = total_volume(
        settings(lot="0.25"), balance=D(1000), entry=D(2650), sl=D(2640), spec=gold_spec()
    )
    assert volume == D("0.25")


def test_one_percent_risk_on_gold_sizes_from_sl_distance() -> None:
    # 1% of 10,000 = 100 USD; 10 USD SL distance = 1000 ticks × 1 USD = 1000 USD per lot → 0.10 lot
    chosen = settings(risk_mode="risk_percent", risk_percent="1")
    volume = total_volume(chosen, balance=D(10_000), entry=D(2650), sl=D(2640), spec=gold_spec())
    assert volume == D("0.1")


def test_risk_sizing_on_eurusd_with_30_pip_stop() -> None:
    # 2% of 5,000 = 100 USD; 30 pips = 300 ticks × 1 USD = 300 USD per lot → 0.333 → 0.33
    chosen = settings(risk_mode="risk_percent", risk_percent="2")
    volume = total_volume(
        chosen, balance=D(5000), entry=D("1.0850"), sl=D("1.0820"), spec=eurusd_spec()
    )
    assert volume == D("0.33")


def test_risk_sizing_is_capped_by_max_lot() -> None:
    chosen = settings(risk_mode="risk_percent", risk_percent="10", max_lot="0.5")
    volume = total_volume(chosen, balance=D(1_000_000), entry=D(2650), sl=D(2640), spec=gold_spec())
    assert volume == D("0.5")


def test_risk_too_small_for_minimum_lot_is_refused_not_rounded_up() -> None:
    chosen = settings(risk_mode="risk_percent", risk_percent="0.1")
    with pytest.raises(SizingError) as caught:
        total_volume(chosen, balance=D(50), entry=D(2650), sl=D(2600), spec=gold_spec())
    assert caught.value.reason == "volume_too_small"


def test_risk_sizing_without_sl_is_refused() -> None:
    chosen = settings(risk_mode="risk_percent")
    with pytest.raises(SizingError) as caught:
        total_volume(chosen, balance=D(5000), entry=D(2650), sl=None, spec=gold_spec())
    assert caught.value.reason == "no_sl"


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        ("0.30", ["1", "1", "1"], ["0.1", "0.1", "0.1"]),
        ("0.10", ["1", "1", "1"], ["0.04", "0.03", "0.03"]),
        ("0.02", ["1", "1", "1"], ["0.01", "0.01"]),
        ("0.01", ["1", "1", "1"], ["0.01"]),
        ("1.00", ["2", "1", "1"], ["0.5", "0.25", "0.25"]),
    ],
)
def test_split_across_tps_keeps_total_and_minimum(
    total: str, weights: list[str], expected: list[str]
) -> None:
    legs = split_volume(D(total), [D(w) for w in weights], gold_spec())
    assert legs == [D(e) for e in expected]
    assert sum(legs) == D(total)
