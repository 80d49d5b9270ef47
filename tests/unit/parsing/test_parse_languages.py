"""Messages in the languages of a blind test (languages.jsonl): each reads as expected, none flips.

Every language has its trades and follow-ups, and commentary that uses its side words without
being a trade ("不要卖出", "Nie kupuj", "buy or sell"): those must stay no trade.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from signal_copier.core.parsing import parse, to_label
from unit.parsing.casefile import load, mismatches

CASES = load("languages.jsonl")
LANGUAGES = ("tr", "vi", "th", "zh", "ja", "ko", "uk", "pl", "fr", "id", "ar", "pt", "ru")
_SIDES = {"buy": "sell", "sell": "buy"}


def test_every_language_has_a_trade_or_follow_up_and_a_message_that_is_no_trade() -> None:
    read = Counter(case["lang"] for case in CASES if case["expect"]["kind"] != "none")
    refused = Counter(case["lang"] for case in CASES if case["expect"]["kind"] == "none")

    assert [lang for lang in LANGUAGES if not read[lang] or not refused[lang]] == []


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_message_in_its_language_reads_as_expected(case: dict[str, Any]) -> None:
    # Arrange
    text, expected = case["text"], case["expect"]

    # Act
    label = to_label(parse(text))

    # Assert
    assert mismatches(expected, label) == [], json.dumps(label, ensure_ascii=False)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_message_with_other_lines_around_never_opens_the_other_side(
    case: dict[str, Any],
) -> None:
    # Arrange: the message between an English greeting and a sign-off, as channels post it
    text = f"Good morning traders\n{case['text']}\nGood luck"

    # Act
    label = to_label(parse(text))

    # Assert
    wrong = _SIDES.get(case["expect"].get("side", ""), "")
    if case["expect"]["kind"] != "open":
        assert label["kind"] != "open", json.dumps(label, ensure_ascii=False)
    else:
        assert label.get("side") != wrong, json.dumps(label, ensure_ascii=False)
