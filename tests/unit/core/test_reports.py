import pytest

from signal_copier.core.model import Action, Scope
from signal_copier.core.parsing import parse
from signal_copier.core.reports import as_report


@pytest.mark.parametrize("text", ["TP1 hit ✅", "Closed in profit ✅ +70 pips", "SL hit ❌"])
def test_a_result_replying_to_a_message_cancels_that_signals_waiting_entries(text: str) -> None:
    reported = as_report(parse(text), reply_to=7)
    assert reported.command is not None and reported.command.report
    assert (reported.command.action, reported.command.scope) == (Action.CANCEL, Scope.REPLY)
    assert reported.kind == "cancel"


def test_a_result_replying_to_nothing_stays_a_message_that_trades_nothing() -> None:
    assert as_report(parse("TP1 hit ✅"), reply_to=None) == parse("TP1 hit ✅")


@pytest.mark.parametrize(
    "text", ["Activated ✅", "Good morning traders", "Close half", "Cancel this order"]
)
def test_replies_that_are_not_results_are_read_as_before(text: str) -> None:
    assert as_report(parse(text), reply_to=7) == parse(text)
