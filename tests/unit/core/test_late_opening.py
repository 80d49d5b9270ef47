"""The signal a levels-only message completes: the side-first signal with its stop and targets."""

import pytest

from builders import D, make_signal
from signal_copier.core.late_opening import completed, unfit
from signal_copier.core.model import Action, Command, Side, Signal
from signal_copier.core.reasons import Reason

SIDE_FIRST = make_signal(side=Side.BUY, entry=D("2650"), sl=None, tps=())


def _levels(**fields: object) -> Command:
    return Command(action=Action.MODIFY, levels_only=True, **fields)  # type: ignore[arg-type]


def test_the_levels_stop_and_targets_complete_the_signal() -> None:
    # Act
    signal = completed(SIDE_FIRST, _levels(sl=D("2640"), tps=(D("2660"), D("2670"))))

    # Assert
    assert isinstance(signal, Signal)
    assert (signal.side, signal.entry, signal.sl) == (Side.BUY, D("2650"), D("2640"))
    assert signal.tps == (D("2660"), D("2670"))


def test_the_levels_entry_is_never_the_trades() -> None:
    # Act
    signal = completed(SIDE_FIRST, _levels(sl=D("2640"), tps=(D("2660"),), entry=D("2651")))

    # Assert
    assert isinstance(signal, Signal) and signal.entry == D("2650")


def test_levels_without_a_stop_complete_nothing() -> None:
    # Act
    found = completed(SIDE_FIRST, _levels(tps=(D("2660"),)))

    # Assert
    assert isinstance(found, str) and "no stop" in found


def test_a_stop_alone_keeps_the_signals_own_targets() -> None:
    # Arrange
    with_targets = make_signal(side=Side.BUY, entry=D("2650"), sl=None, tps=(D("2660"),))

    # Act
    signal = completed(with_targets, _levels(sl=D("2640")))

    # Assert
    assert isinstance(signal, Signal) and (signal.sl, signal.tps) == (D("2640"), (D("2660"),))


def test_a_numbered_target_replaces_the_signals_target_of_that_number() -> None:
    # Arrange
    with_targets = make_signal(side=Side.BUY, entry=D("2650"), sl=None, tps=(D("2660"), D("2670")))

    # Act
    signal = completed(with_targets, _levels(sl=D("2640"), tps=(D("2675"),), tp_numbers=(2,)))

    # Assert
    assert isinstance(signal, Signal) and signal.tps == (D("2660"), D("2675"))


def test_targets_numbered_past_a_missing_one_complete_nothing() -> None:
    # Act
    found = completed(SIDE_FIRST, _levels(sl=D("2640"), tps=(D("2670"),), tp_numbers=(2,)))

    # Assert
    assert isinstance(found, str) and "TP2" in found


@pytest.mark.parametrize(
    ("sl", "tps", "reason"),
    [
        ("2460", ("2660",), Reason.PRICE_TYPO),  # 2640 meant
        ("264.0", ("2660",), Reason.PRICE_DECIMAL_SLIP),
        ("2640", ("2670", "2660"), Reason.TPS_OUT_OF_ORDER),
        ("2640", ("2660", "2670"), None),
    ],
)
def test_levels_a_channel_may_still_fix_are_judged_before_the_late_opening(
    sl: str, tps: tuple[str, ...], reason: Reason | None
) -> None:
    # Arrange
    signal = completed(SIDE_FIRST, _levels(sl=D(sl), tps=tuple(D(tp) for tp in tps)))
    assert isinstance(signal, Signal)

    # Act
    found = unfit(signal)

    # Assert
    assert (found.reason if found else None) is reason


def test_a_signal_without_an_entry_is_left_to_the_market_check() -> None:
    signal = make_signal(side=Side.BUY, entry=None, sl=D("2460"), tps=(D("2660"),))
    assert unfit(signal) is None
