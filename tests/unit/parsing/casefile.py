"""Case files of tests/data/parsing: load them, and compare a parse with a case's expectation."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[2] / "data" / "parsing"


def load(name: str) -> list[dict[str, Any]]:
    """Return the cases of `tests/data/parsing/<name>` (JSON Lines), in file order."""
    lines = (DATA / name).read_text("utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


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
