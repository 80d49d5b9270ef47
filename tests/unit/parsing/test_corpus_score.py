"""Score the parser on the shared labelled corpus with the shared scorer."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import pytest

from signal_copier.core.parsing import parse, to_label

SHARED = Path(__file__).resolve().parents[3].parent / "shared"
CORPUS = SHARED / "corpus" / "signals.dev.jsonl"
SCORER = SHARED / "tools" / "score_signals.py"


def load_scorer() -> ModuleType:
    """Import score_signals.py from its path."""
    spec = importlib.util.spec_from_file_location("score_signals", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def records() -> list[dict[str, object]]:
    """Return the corpus records, or skip when the shared folder is not beside the checkout."""
    if not CORPUS.exists() or not SCORER.exists():
        pytest.skip(f"shared corpus not found at {SHARED}")
    return [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines() if line.strip()]


def predictions(records: list[dict[str, object]]) -> dict[str, dict[str, object]]:
    """Return the parser's label for each record id."""
    return {str(r["id"]): to_label(parse(str(r["text"]))) for r in records}


def test_high_confidence_labels_score_at_least_97_percent(records: list[dict[str, object]]) -> None:
    high = [r for r in records if r.get("confidence", "high") == "high"]

    result = load_scorer().score(high, predictions(high))

    assert result["exact_rate"] >= 0.97, result
    assert result["false_open"] == 0, result
    assert result["wrong_side"] == 0, result


def test_all_labels_never_open_falsely_or_flip_side(records: list[dict[str, object]]) -> None:
    result = load_scorer().score(records, predictions(records))

    assert result["false_open"] == 0, result
    assert result["wrong_side"] == 0, result
