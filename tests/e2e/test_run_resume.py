"""`run --config` as a trader uses it: state survives reruns and Ctrl-C; errors are one line."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from signal_copier import cli
from signal_copier.runstate import RunState

SIGNALS = [
    "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900",
    "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660",
]


def _line(n: int, text: str, **extra: Any) -> str:
    at = datetime(2026, 2, 2, 10, tzinfo=UTC) + timedelta(seconds=10 * n)
    stamp = at.isoformat().replace("+00:00", "Z")
    return json.dumps({"date": stamp, "chat": "@a", "id": n, "text": text, **extra})


def _config(folder: Path, replay: str = "chan.jsonl") -> Path:
    config = folder / "run.json"
    config.write_text(
        json.dumps({"replay": replay, "data_dir": "var", "settings": {"lot": "0.10"}})
    )
    return config


def _run(capsys: pytest.CaptureFixture[str], config: Path) -> tuple[dict[str, Any], str]:
    assert cli.main(["run", "--config", str(config), "--json"]) == 0
    captured = capsys.readouterr()
    return json.loads(captured.out), captured.err


def test_a_rerun_resumes_the_paper_account_and_says_what_was_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = tmp_path / "chan.jsonl"
    replay.write_text("\n".join(_line(n + 1, t) for n, t in enumerate(SIGNALS)) + "\n")
    config = _config(tmp_path)
    first, _ = _run(capsys, config)
    with replay.open("a") as handle:  # the channel goes on: "close all" arrives later
        handle.write(_line(3, "Close all") + "\n")

    second, told = _run(capsys, config)

    assert first["users"]["me"]["open_positions"] == 3
    assert "resumed from" in told and "lines 1-2 of" in told and "3 position(s)" in told
    assert second["messages"] == 1  # only the new line ran
    assert second["users"]["me"]["positions_closed"] == 3  # the positions of the first run
    assert second["users"]["me"]["open_positions"] == 0
    state = tmp_path / "var" / "paper.json"
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


def test_a_rerun_with_nothing_new_keeps_the_account_as_it_was(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "chan.jsonl").write_text(_line(1, SIGNALS[1]) + "\n")
    config = _config(tmp_path)
    first, _ = _run(capsys, config)

    second, told = _run(capsys, config)

    assert "nothing new to replay" in told
    assert second["users"]["me"] == first["users"]["me"]


def test_a_replay_whose_done_lines_changed_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replay = tmp_path / "chan.jsonl"
    replay.write_text(_line(1, SIGNALS[0]) + "\n")
    config = _config(tmp_path)
    _run(capsys, config)
    replay.write_text(_line(1, SIGNALS[1]) + "\n")

    assert cli.main(["run", "--config", str(config)]) == 2

    err = capsys.readouterr().err
    assert "other lines than the first 1 of" in err and "paper.json" in err


def test_a_damaged_state_file_is_named_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "chan.jsonl").write_text(_line(1, SIGNALS[0]) + "\n")
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "paper.json").write_text('{"format": 1, "line": 1, "paper": {}}')

    assert cli.main(["run", "--config", str(_config(tmp_path))]) == 2

    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "paper.json is unreadable" in err and "\n" not in err


def test_ctrl_c_stops_after_the_line_in_progress_saves_and_a_rerun_goes_on(
    tmp_path: Path,
) -> None:
    lines = [_line(n + 1, SIGNALS[n % 2] if n % 3 else "Close all") for n in range(4000)]
    (tmp_path / "chan.jsonl").write_text("\n".join(lines) + "\n")
    config = _config(tmp_path)
    command = [str(Path(sys.executable).parent / "signal-copier"), "run", "--config", str(config)]
    env = {**os.environ, "COPIER_LOG_LEVEL": "WARNING"}

    with subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env) as proc:
        assert proc.stderr is not None
        first = proc.stderr.readline().decode()  # progress: the replay is under way
        proc.send_signal(signal.SIGINT)
        out, rest = proc.communicate(timeout=120)

    told = (first + rest.decode()).strip().splitlines()
    assert first.startswith("replayed 1/4000")
    assert proc.returncode == 130 and out == b""
    assert told[-1].startswith("stopped (Ctrl-C) after line ")
    assert told[-1].endswith(f"saved in {tmp_path / 'var' / 'paper.json'}")
    stopped_at = int(told[-1].split("after line ")[1].split()[0])
    assert 0 < stopped_at < 4000
    again = subprocess.run(command, capture_output=True, env=env, check=False, timeout=600)
    assert again.returncode == 0
    assert f"lines 1-{stopped_at} of" in again.stderr.decode()


def test_a_second_run_on_a_data_dir_in_use_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "chan.jsonl").write_text(_line(1, SIGNALS[0]) + "\n")
    config = _config(tmp_path)
    (tmp_path / "var").mkdir()
    holder = RunState(tmp_path / "var", tmp_path / "chan.jsonl")

    with holder.exclusive():  # another run holds the data_dir meanwhile
        assert cli.main(["run", "--config", str(config)]) == 2

    assert "is in use by another run" in capsys.readouterr().err
    _run(capsys, config)  # free again once that run ended
