"""Table-driven scenarios from tests/data/parsing/cases.jsonl: text → expected label fields."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from signal_copier.core.parsing import parse, to_label

CASES_FILE = Path(__file__).resolve().parents[2] / "data" / "parsing" / "cases.jsonl"
CASES = [json.loads(line) for line in CASES_FILE.read_text("utf-8").splitlines() if line.strip()]


def mismatches(expected: Any, got: Any, path: str = "") -> list[str]:
    """Return where `got` differs from the fields `expected` names (numbers compared loosely)."""
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return [f"{path}: {got!r}"]
        return [
            e
            for key, value in expected.items()
            for e in mismatches(value, got.get(key), f"{path}.{key}")
        ]
    if isinstance(expected, list):
        if not isinstance(got, list) or len(got) != len(expected):
            return [f"{path}: want {expected} got {got}"]
        return [
            e
            for i, pair in enumerate(zip(expected, got, strict=True))
            for e in mismatches(*pair, f"{path}[{i}]")
        ]
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        same = isinstance(got, int | float) and math.isclose(expected, got, abs_tol=1e-9)
        return [] if same else [f"{path}: want {expected} got {got}"]
    return [] if expected == got else [f"{path}: want {expected!r} got {got!r}"]


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
