"""A levels-only message is judged against the signal it completes: time, side, legs held."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from signal_copier.core import codec
from signal_copier.core.completion import late_detail, misfit, on_one_position, untraded_targets
from signal_copier.core.model import Action, Command, Side, Signal
from signal_copier.core.reasons import Reason

POSTED = datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
BUY = Signal(symbol="XAUUSD", side=Side.BUY, entry=D("2650"))
SELL = Signal(symbol="XAUUSD", side=Side.SELL, entry=D("2650"))
MARKET_BUY = Signal(symbol="XAUUSD", side=Side.BUY)


def _levels(sl: str | None = None, *tps: str, numbers: tuple[int, ...] = ()) -> Command:
    return Command(
        action=Action.MODIFY,
        sl=D(sl) if sl is not None else None,
        tps=tuple(D(tp) for tp in tps),
        tp_numbers=numbers,
        levels_only=True,
    )


@pytest.mark.parametrize(
    ("seconds", "late"), [(0, False), (300, False), (301, True), (86_400, True)]
)
def test_levels_are_late_only_beyond_the_window(seconds: int, late: bool) -> None:
    # Act
    detail = late_detail(POSTED, POSTED + timedelta(seconds=seconds), 300)

    # Assert
    assert (detail is not None) is late


def test_a_late_detail_names_the_gap_and_the_setting() -> None:
    # Act
    detail = late_detail(POSTED, POSTED + timedelta(minutes=30), 300)

    # Assert
    assert detail is not None and "1800 s" in detail and "split_window_s" in detail


@pytest.mark.parametrize(
    ("signal", "command", "reason"),
    [
        (BUY, _levels("2640", "2660", "2670"), None),
        (SELL, _levels("2660", "2640", "2630"), None),
        (BUY, _levels("2655", "2660"), Reason.SL_WRONG_SIDE),  # a buy's stop above its entry
        (BUY, _levels("2650", "2660"), Reason.SL_WRONG_SIDE),  # at the entry: protects nothing
        (SELL, _levels("2640", "2630"), Reason.SL_WRONG_SIDE),
        (BUY, _levels("2640", "2645"), Reason.TP_WRONG_SIDE),
        (SELL, _levels(None, "2655"), Reason.TP_WRONG_SIDE),
        (BUY, _levels("264.0", "266.0"), None),  # a slip: left to the slip check
    ],
)
def test_levels_must_fit_the_signals_side(
    signal: Signal, command: Command, reason: Reason | None
) -> None:
    # Act
    found = misfit(command, signal, [])

    # Assert
    assert (found.reason if found else None) is reason


def test_a_market_signal_without_entry_is_judged_from_each_legs_price() -> None:
    # Act
    fits = misfit(_levels("2640", "2660"), MARKET_BUY, [D("2650.30")])
    misfits = misfit(_levels("2640", "2660"), MARKET_BUY, [D("2650.30"), D("2639.00")])

    # Assert
    assert fits is None
    assert misfits is not None and misfits.reason is Reason.SL_WRONG_SIDE


def test_targets_beyond_the_legs_held_are_noted_as_not_traded() -> None:
    # Act
    note = untraded_targets(_levels("2640", "2660", "2670"), ["sc1.0"])

    # Assert
    assert note is not None and "TP2 2670" in note and "TP1" not in note


def test_numbered_targets_are_matched_to_their_own_legs() -> None:
    # Arrange: TP1's leg already closed; TP2 and TP3 are given by number
    command = _levels(None, "2670", "2680", numbers=(2, 3))

    # Act
    note = untraded_targets(command, ["sc1.1"])

    # Assert
    assert note is not None and "TP3 2680" in note and "TP2" not in note


def test_every_target_on_a_held_leg_needs_no_note() -> None:
    # Act
    note = untraded_targets(_levels("2640", "2660", "2670"), ["sc1.0", "sc1.1", "sc1.2"])

    # Assert
    assert note is None


@pytest.mark.parametrize(
    ("command", "netting_tp", "tps"),
    [
        (_levels("2640", "2660", "2670", "2680"), 2, (D("2670"),)),
        (_levels("2640", "2660"), 3, (D("2660"),)),  # fewer given: the last one, as an opening
        (_levels(None, "2670", "2680", numbers=(2, 3)), 2, (D("2670"),)),
        (_levels(None, "2680", numbers=(3,)), 1, ()),  # TP1 not given: no target changes
    ],
)
def test_a_netting_position_takes_the_target_number_netting_tp(
    command: Command, netting_tp: int, tps: tuple[D, ...]
) -> None:
    # Act
    single, note = on_one_position(command, netting_tp)

    # Assert
    assert (single.tps, single.tp_numbers, single.sl) == (tps, (), command.sl)
    assert "netting" in note


def test_a_levels_only_command_keeps_its_mark_through_the_codec() -> None:
    # Arrange
    command = _levels("2640", "2660", "2670")

    # Act
    encoded = codec.to_dict(command)
    decoded = codec.from_dict(Command, encoded)
    older = codec.from_dict(Command, {k: v for k, v in encoded.items() if k != "levels_only"})

    # Assert: an intent queued before the field existed reads as an ordinary modify
    assert decoded == command
    assert older == replace(command, levels_only=False)
