"""Which edit of a follow-up runs again: decided from its command and its earlier ones."""

from decimal import Decimal

from signal_copier.core import reruns
from signal_copier.core.model import Action, Command, SlAnchor

HALF = Command(action=Action.CLOSE, fraction=Decimal("0.5"))
ALL = Command(action=Action.CLOSE)
SL_2645 = Command(action=Action.MODIFY, sl=Decimal("2645"))
AGAIN = Command(action=Action.REENTER)


def test_a_changed_command_runs_again() -> None:
    assert reruns.refusal(ALL, [HALF]) is None
    assert reruns.refusal(Command(action=Action.MODIFY, sl=Decimal("2648")), [SL_2645]) is None


def test_the_same_command_again_is_a_typo_fix_and_does_not_run() -> None:
    same = Command(action=Action.CLOSE, fraction=Decimal("0.50"))
    assert reruns.refusal(same, [HALF]) == reruns.UNCHANGED


def test_only_the_latest_earlier_command_counts_so_a_correction_back_runs() -> None:
    assert (
        reruns.refusal(SL_2645, [SL_2645, Command(action=Action.MODIFY, sl=Decimal("2648"))])
        is None
    )


def test_an_edit_into_a_re_entry_never_runs() -> None:
    assert reruns.refusal(AGAIN, [SL_2645]) == reruns.REENTRY
    assert reruns.refusal(AGAIN, [AGAIN, SL_2645]) == reruns.REENTRY


def test_a_re_entrys_post_edited_into_another_instruction_runs_on_its_own_trade() -> None:
    # "Add more at 2635" edited into "Cancelled" / "Close": it takes back what it opened
    assert reruns.refusal(ALL, [AGAIN]) is None


def test_an_edit_with_no_earlier_command_known_does_not_run() -> None:
    assert reruns.refusal(ALL, []) == reruns.UNCHANGED


def test_only_a_partial_close_is_relative() -> None:
    relative = [
        HALF,
        Command(action=Action.CLOSE, fraction=Decimal("0.3"), then_sl_anchor=SlAnchor.ENTRY),
    ]
    absolute = [
        ALL,
        Command(action=Action.CLOSE, fraction=Decimal(1)),
        SL_2645,
        Command(action=Action.MODIFY, sl_anchor=SlAnchor.ENTRY),
        Command(action=Action.CANCEL),
        Command(action=Action.MODIFY, tps=(Decimal("2660"),), levels_only=True),
    ]
    assert [reruns.is_relative(c) for c in relative] == [True, True]
    assert [reruns.is_relative(c) for c in absolute] == [False] * len(absolute)


def test_a_partial_close_with_a_stop_change_keeps_only_the_stop_change_to_run_again() -> None:
    # Arrange: "Close half and move SL to entry + 2 pips"
    command = Command(
        action=Action.CLOSE,
        fraction=Decimal("0.5"),
        then_sl_anchor=SlAnchor.ENTRY,
        sl_offset_pips=Decimal("2"),
        symbol="XAUUSD",
    )

    # Act
    rest = reruns.stop_part(command)

    # Assert
    assert rest == Command(
        action=Action.MODIFY,
        sl_anchor=SlAnchor.ENTRY,
        sl_offset_pips=Decimal("2"),
        symbol="XAUUSD",
    )


def test_a_partial_close_alone_or_a_full_close_has_no_stop_part() -> None:
    half = Command(action=Action.CLOSE, fraction=Decimal("0.5"))
    everything = Command(action=Action.CLOSE, fraction=Decimal(1), then_sl_anchor=SlAnchor.ENTRY)
    assert reruns.stop_part(half) is None
    assert reruns.stop_part(everything) is None
