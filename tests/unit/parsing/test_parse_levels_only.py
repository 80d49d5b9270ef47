"""A message of levels alone is a modify of the signal it follows, never an opening."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from signal_copier.core.model import Action, Scope
from signal_copier.core.parsing import parse
from signal_copier.core.parsing.completion import MEANS

PRICES = st.decimals(min_value=Decimal("2500"), max_value=Decimal("2800"), places=1)
LABELS = st.sampled_from(["SL", "Stop loss", "TP", "TP1", "TP2", "Take profit", "Entry", "tp"])
TAILS = st.sampled_from(["", " ✅", " hit", " +30 pips", " 50%", " done", "\nGood luck"])


def test_levels_alone_read_as_a_reply_scoped_modify_and_the_explanation_says_so() -> None:
    # Act
    result = parse("SL 2640\nTP1 2660\nTP2 2670")

    # Assert
    command = result.command
    assert command is not None and command.levels_only
    assert (command.action, command.scope, command.symbol, command.side) == (
        Action.MODIFY,
        Scope.REPLY,
        None,
        None,
    )
    assert (command.sl, command.tps) == (Decimal(2640), (Decimal(2660), Decimal(2670)))
    assert MEANS in result.explain


def test_a_told_move_is_an_ordinary_modify_not_a_levels_only_one() -> None:
    # Act
    result = parse("Move SL to 2640")

    # Assert
    assert result.command is not None and not result.command.levels_only


def test_levels_with_a_side_are_an_opening_or_refused_never_a_levels_only_modify() -> None:
    # Act
    result = parse("XAUUSD BUY 2650 SL 2640 TP 2660")

    # Assert
    assert result.signals and result.command is None


@given(st.lists(st.tuples(LABELS, PRICES), min_size=1, max_size=5), TAILS)
def test_levels_only_readings_never_open_and_never_contradict_themselves(
    lines: list[tuple[str, Decimal]], tail: str
) -> None:
    # Arrange
    text = "\n".join(f"{label} {price}" for label, price in lines) + tail

    # Act
    result = parse(text)

    # Assert
    assert not result.signals
    command = result.command
    if command is None or not command.levels_only:
        return
    assert tail == ""  # a result mark, pips or any other word is never read as levels
    if command.sl is not None and command.tps:
        sides = {(tp > command.sl) for tp in command.tps}
        assert len(sides) == 1 and command.sl not in command.tps
