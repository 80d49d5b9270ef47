"""A stop far beyond every target that one slip of a finger would make fit reads as a typo."""

from decimal import Decimal as D

import pytest

from builders import make_signal
from signal_copier.core.model import Side
from signal_copier.core.typos import meant_stop


@pytest.mark.parametrize(
    ("side", "sl", "tps", "meant"),
    [
        (Side.BUY, "2460", ("2660",), "2640"),  # two digits swapped
        (Side.BUY, "2540", ("2660",), "2640"),  # one digit wrong
        (Side.SELL, "2956", ("2630",), "2656"),  # a sell's stop, above
        (Side.BUY, "2460", ("2655", "2660"), "2640"),  # judged by the furthest target
    ],
)
def test_a_stop_one_slip_from_fitting_its_targets_reads_as_the_stop_meant(
    side: Side, sl: str, tps: tuple[str, ...], meant: str
) -> None:
    signal = make_signal(side=side, entry=D(2650), sl=D(sl), tps=tuple(D(t) for t in tps))
    assert meant_stop(signal, D(2650)) == D(meant)


@pytest.mark.parametrize(
    ("sl", "tps"),
    [
        ("2500", ("2660",)),  # wide, but no single slip makes it fit: copied as written
        ("2550", ("2660",)),  # exactly ten times the target: not beyond it
        ("2460", ("2660", "2700", "2750")),  # the targets reach far enough: a swing trade
        ("2460", ()),  # no target to judge by
        ("2640", ("2660",)),  # an ordinary stop
    ],
)
def test_a_stop_read_as_written(sl: str, tps: tuple[str, ...]) -> None:
    signal = make_signal(side=Side.BUY, entry=D(2650), sl=D(sl), tps=tuple(D(t) for t in tps))
    assert meant_stop(signal, D(2650)) is None


def test_a_market_signal_is_judged_from_the_price_given() -> None:
    signal = make_signal(side=Side.BUY, entry=None, sl=D("2460"), tps=(D("2660"),))
    assert meant_stop(signal, D("2650.30")) == D("2640")
