"""Where the CLI promises a clear error, it prints one line naming the file, line or field."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from signal_copier import cli

ROOT = Path(__file__).resolve().parents[2]
SIGNAL = {
    "date": "2026-02-02T10:00:00Z",
    "chat": "@a",
    "id": 1,
    "text": "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900",
}


def _one_error_line(capsys: pytest.CaptureFixture[str]) -> str:
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    return lines[0]


def _config(folder: Path, **fields: object) -> Path:
    (folder / "chan.jsonl").write_text(json.dumps(SIGNAL) + "\n")
    config = folder / "run.json"
    config.write_text(json.dumps({"replay": "chan.jsonl", **fields}))
    return config


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "image.png:1: not UTF-8"),
        (json.dumps(SIGNAL).encode() + b"\n\xff\xfe\n", "image.png:2: not UTF-8"),
        (json.dumps({**SIGNAL, "id": 2**63}).encode(), "image.png:1: 'id' must be"),
        (json.dumps({**SIGNAL, "quote": {"XAUUSD": [1e30, 1e30]}}).encode(), "not a price"),
        (b"[" * 100_000, "image.png:1: not valid JSON"),
    ],
    ids=["binary", "latin1-line", "id-2^63", "quote-1e30", "deep-nesting"],
)
def test_a_replay_that_cannot_be_read_is_one_line_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, complaint: str
) -> None:
    replay = tmp_path / "image.png"
    replay.write_bytes(content)

    assert cli.main(["demo", "--replay", str(replay)]) == 2

    assert complaint in _one_error_line(capsys)


def test_a_data_dir_that_is_a_file_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "var").write_text("not a folder")

    assert cli.main(["run", "--config", str(_config(tmp_path, data_dir="var"))]) == 2

    assert f"{tmp_path / 'var'} is a file" in _one_error_line(capsys)


def test_a_data_dir_that_cannot_be_created_is_one_line_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "blocker").write_text("a file where a folder should go")

    assert cli.main(["run", "--config", str(_config(tmp_path, data_dir="blocker/var"))]) == 2

    assert f"{tmp_path / 'blocker'}" in _one_error_line(capsys)


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    """Yield an existing folder this process cannot create files in."""
    if os.geteuid() != 0:
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        yield folder
        folder.chmod(0o700)
        return
    folder = Path("/sys/kernel")  # root writes through any mode; sysfs refuses everyone
    try:
        os.close(os.open(folder / "copier-probe", os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError:
        yield folder
        return
    pytest.skip("no folder here refuses root's writes")


def test_a_read_only_data_dir_is_one_line_with_its_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], read_only_dir: Path
) -> None:
    config = _config(tmp_path, data_dir=str(read_only_dir))

    assert cli.main(["run", "--config", str(config)]) == 2

    assert f"cannot write {read_only_dir}/" in _one_error_line(capsys)


def test_an_unknown_log_level_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPIER_LOG_LEVEL", "LOUD")

    assert cli.main(["parse", "hello"]) == 2

    assert "COPIER_LOG_LEVEL" in _one_error_line(capsys)


def test_an_empty_replay_says_so_and_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n")

    assert cli.main(["demo", "--replay", str(empty), "--json"]) == 0

    captured = capsys.readouterr()
    assert f"note: {empty} holds no events: nothing to replay" in captured.err
    assert json.loads(captured.out)["messages"] == 0


def test_progress_into_a_file_is_whole_lines_never_carriage_returns(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["demo"]) == 0

    err = capsys.readouterr().err
    assert "\r" not in err and "\x1b[" not in err
    assert err.splitlines()[-1] == "replayed 50/50 lines (100%)"


def test_progress_on_a_terminal_is_drawn_in_place(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # what rich reads to know a terminal

    assert cli.main(["demo"]) == 0

    err = capsys.readouterr().err
    assert "\x1b[" in err and "replayed 48/48" not in err


def test_dev_resolves_relative_paths_from_the_callers_folder(tmp_path: Path) -> None:
    config = _config(tmp_path, data_dir="state")

    done = subprocess.run(
        [str(ROOT / "dev"), "run", "--config", config.name, "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["messages"] == 1
    assert (tmp_path / "state" / "copier.sqlite3").exists()
    assert not (ROOT / "state").exists()
