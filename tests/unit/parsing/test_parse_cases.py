"""Table-driven scenarios from tests/data/parsing/cases.jsonl: text → expected label fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from signal_copier.core.parsing import parse, to_label
from unit.parsing.casefile import load, mismatches

CASES = load("cases.jsonl")


def test_the_case_table_is_large_enough() -> None:
    assert len(CASES) >= 150


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_message_reads_as_expected(case: dict[str, Any]) -> None:
    # Arrange
    text, expected = case["text"], case["expect"]

    # Act
    label = to_label(parse(text))

    # Assert
    assert mismatches(expected, label) == [], json.dumps(label, ensure_ascii=False)
