"""`python tests/crash_sweep.py [scenario ...]`: an unknown name is refused, never swept as none."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crash_scenarios import SCENARIOS
from crash_sweep import chosen

SCRIPT = Path(__file__).parents[1] / "crash_sweep.py"


def test_no_name_sweeps_every_scenario() -> None:
    assert chosen([]) == list(SCENARIOS)


def test_named_scenarios_are_swept_in_their_table_order() -> None:
    names = [s.name for s in chosen(["kill_switch", "close_half"])]
    assert names == ["close_half", "kill_switch"]


def test_a_misspelt_scenario_is_refused_with_the_valid_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        chosen(["close_half", "close-half"])
    error = capsys.readouterr().err
    assert exited.value.code == 2
    assert "unknown scenario(s): close-half;" in error
    assert all(s.name in error for s in SCENARIOS)


def test_the_script_exits_2_on_an_unknown_name_and_lists_the_names_on_help() -> None:
    run = [sys.executable, str(SCRIPT)]
    unknown = subprocess.run([*run, "nope"], capture_output=True, text=True, timeout=120)
    helped = subprocess.run([*run, "--help"], capture_output=True, text=True, timeout=120)
    assert (unknown.returncode, unknown.stdout) == (2, "")
    assert "unknown scenario(s): nope" in unknown.stderr
    assert helped.returncode == 0 and "kill_switch" in helped.stdout
