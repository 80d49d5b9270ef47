"""Partial closes: a part of each leg, or whole legs when that comes nearer the fraction (#11)."""

from decimal import Decimal as D

import pytest

from builders import gold_spec, position
from signal_copier.core.closing import close_plan

SPECS = {"XAUUSD": gold_spec()}


def _legs(*volumes: str) -> list:  # type: ignore[type-arg]
    return [position(str(n), f"scA.{n}", volume=D(v)) for n, v in enumerate(volumes)]


@pytest.mark.parametrize(
    ("volumes", "fraction", "closed"),
    [
        (("0.01", "0.01"), "0.5", ("0.01", "0")),  # whole TP1 leg, not 100 %
        (("0.10", "0.10"), "0.5", ("0.05", "0.05")),  # exact either way: a part of each
        (("0.05", "0.05"), "0.5", ("0.05", "0")),  # 0.02 + 0.02 misses by 0.01, one leg by 0
        (("0.04", "0.03", "0.03"), "0.5", ("0.04", "0.01", "0")),  # TP1 whole + a part: 0.05
        (("0.01", "0.01", "0.01", "0.01"), "0.5", ("0.01", "0.01", "0", "0")),
        (("0.01", "0.01", "0.01"), "0.5", ("0.01", "0", "0")),  # 0.01 or 0.02: the fewer
        (("0.01",), "0.5", ("0.01",)),  # one minimum leg: closing it is as near as keeping it
        (("0.07",), "0.5", ("0.03",)),  # truncated to the step
        (("0.01", "0.01"), "1", ("0.01", "0.01")),
        (("0.30", "0.02"), "0.25", ("0.07", "0.01")),  # a part under a step is one step
        (("0.05",), "0.1", ("0.01",)),  # 10 % of 0.05: one step, never the whole position
        (("0.02", "0.02"), "0.25", ("0.01", "0")),  # a quarter: one part of 0.01
        (("0.01",), "0.1", ("0",)),  # 10 % of a minimum lot: keeping it is nearer than all of it
        (("0.01", "0.01"), "0.2", ("0", "0")),  # 0.004 asked: nothing is nearer than 0.01
    ],
)
def test_close_plan_table(volumes: tuple[str, ...], fraction: str, closed: tuple[str, ...]) -> None:
    plan = close_plan(_legs(*volumes), D(fraction), SPECS)
    assert [plan[str(n)] for n in range(len(volumes))] == [D(c) for c in closed]


def test_close_plan_never_closes_more_than_the_legs_hold() -> None:
    legs = _legs("0.03", "0.02", "0.01")
    for tenth in range(1, 11):
        plan = close_plan(legs, D(tenth) / 10, SPECS)
        assert all(D(0) <= plan[leg.id] <= leg.volume for leg in legs)


@pytest.mark.parametrize(
    ("volumes", "fraction", "closed"),
    [
        (("0.6",), "0.5", ("0.6",)),  # a part is under 0.5 or leaves under 0.5: all (a tie)
        (("0.6", "0.6"), "0.25", ("0.6", "0")),  # never two 0.1 parts the broker refuses
        (("1.2",), "0.5", ("0.6",)),
    ],
)
def test_close_plan_never_closes_a_part_under_the_minimum(
    volumes: tuple[str, ...], fraction: str, closed: tuple[str, ...]
) -> None:
    specs = {"XAUUSD": gold_spec(volume_min=D("0.5"))}
    plan = close_plan(_legs(*volumes), D(fraction), specs)
    assert [plan[str(n)] for n in range(len(volumes))] == [D(c) for c in closed]


@pytest.mark.parametrize(
    ("volumes", "closed"),
    [
        (("3.00",), ("1.00",)),  # 3.00 x 0.333… is 0.999…: cut down to the step it was 0.99
        (("0.30",), ("0.10",)),
        (("0.60", "0.30"), ("0.20", "0.10")),  # a third of each leg
    ],
)
def test_close_a_third_closes_a_third_not_a_step_less(
    volumes: tuple[str, ...], closed: tuple[str, ...]
) -> None:
    plan = close_plan(_legs(*volumes), D(1) / D(3), SPECS)

    assert [plan[str(n)] for n in range(len(volumes))] == [D(c) for c in closed]
