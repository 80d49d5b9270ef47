"""signal-copier parse: one message, and the --jsonl contract, run as the real command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

COMMAND = Path(sys.executable).with_name("signal-copier")
GOLD = "XAUUSD SELL NOW 2650 SL 2660 TP 2640"


def run(
    args: list[str], stdin: bytes = b"", strict_locale: bool = False
) -> subprocess.CompletedProcess[bytes]:
    """Run `signal-copier ARGS` with `stdin`; a strict locale is LC_ALL=C without UTF-8 help."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONIOENCODING", "PYTHONUTF8")}
    if strict_locale:
        env.update(LC_ALL="C", LANG="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    return subprocess.run(
        [str(COMMAND), *args], input=stdin, capture_output=True, env=env, timeout=120, check=False
    )


def jsonl(*records: object) -> bytes:
    """Return records as JSON Lines bytes."""
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def outputs(done: subprocess.CompletedProcess[bytes]) -> list[dict[str, object]]:
    """Return the JSON records the command wrote, one per output line."""
    return [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]


def test_parse_prints_the_label_schema() -> None:
    done = run(["parse", GOLD])

    out = json.loads(done.stdout)
    assert done.returncode == 0
    assert (out["kind"], out["symbol"], out["side"], out["sl"], out["tps"]) == (
        "open",
        "XAUUSD",
        "sell",
        2660,
        [2640],
    )


def test_parse_explain_shows_what_was_read_even_under_an_ascii_locale() -> None:
    done = run(["parse", "--explain", "GOLD BUY 2650 SL 2640 TP 2660"], strict_locale=True)

    assert done.returncode == 0
    assert "→" in done.stdout.decode("utf-8")


def test_parse_jsonl_writes_one_prediction_per_line_and_flags_bad_lines() -> None:
    stdin = jsonl({"id": "a", "text": "EURUSD BUY NOW SL 1.08 TP 1.09"}) + b"{broken\n"
    stdin += jsonl({"id": "b", "text": "hello"})

    done = run(["parse", "--jsonl"], stdin)

    out = outputs(done)
    assert done.returncode == 1
    assert [o.get("id") for o in out] == ["a", None, "b"]
    assert out[0]["kind"] == "open" and out[1]["line"] == 2 and out[2]["kind"] == "none"
    assert b"line 2" in done.stderr


def test_a_line_without_text_keeps_its_id_so_the_missing_answer_is_traceable() -> None:
    stdin = jsonl({"id": "no-text"}, {"id": 7, "text": None}, {"id": "ok", "text": GOLD})

    done = run(["parse", "--jsonl"], stdin)

    out = outputs(done)
    assert done.returncode == 1
    assert out[0] == {"id": "no-text", "line": 1, "error": "text: missing"}
    assert out[1] == {"id": 7, "line": 2, "error": "text: must be a string"}
    assert out[2]["id"] == "ok" and out[2]["kind"] == "open"


def test_deep_nesting_and_huge_ids_are_refused_per_line_and_the_rest_is_read() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000 + b"\n"
    huge = b'{"id": ' + b"9" * 4_000 + b', "text": "hi"}\n'
    endless = b'{"id": 1e999, "text": "hi"}\n'
    stdin = deep + huge + endless + jsonl({"id": "ok", "text": GOLD})

    done = run(["parse", "--jsonl"], stdin)

    out = outputs(done)
    assert done.returncode == 1
    assert [o.get("line") for o in out[:3]] == [1, 2, 3]
    assert all("error" in o for o in out[:3])
    assert out[3]["id"] == "ok" and out[3]["kind"] == "open"
    assert b"Traceback" not in done.stderr


def test_invalid_utf8_under_a_strict_locale_is_one_error_line_and_reading_goes_on() -> None:
    stdin = b'{"id": "bad", "text": "caf\xe9 GOLD"}\n' + jsonl({"id": "ok", "text": GOLD, "n": "é"})

    done = run(["parse", "--jsonl"], stdin, strict_locale=True)

    out = outputs(done)
    assert done.returncode == 1
    assert out[0] == {"id": None, "line": 1, "error": "not UTF-8 (byte 27 of the line)"}
    assert out[1]["id"] == "ok" and out[1]["kind"] == "open"
    assert b"Traceback" not in done.stderr


def test_non_ascii_text_round_trips_as_utf8_under_a_strict_locale() -> None:
    stdin = jsonl({"id": "ru", "text": "Золото покупка 2330 стоп 2322 тейк 2340"})

    done = run(["parse", "--jsonl"], stdin, strict_locale=True)

    assert done.returncode == 0
    assert outputs(done)[0]["symbol"] == "XAUUSD"
