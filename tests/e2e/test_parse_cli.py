"""signal-copier parse: one message, and the --jsonl contract."""

import io
import json

import pytest

from signal_copier import cli


def test_parse_prints_the_label_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["parse", "XAUUSD SELL NOW 2650 SL 2660 TP 2640"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["kind"], out["symbol"], out["side"], out["sl"], out["tps"]) == (
        "open",
        "XAUUSD",
        "sell",
        2660,
        [2640],
    )


def test_parse_explain_shows_what_was_read(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["parse", "--explain", "GOLD BUY 2650 SL 2640 TP 2660"]) == 0
    assert "→" in capsys.readouterr().out


def test_parse_jsonl_writes_one_prediction_per_line_and_flags_bad_lines(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        json.dumps({"id": "a", "text": "EURUSD BUY NOW SL 1.08 TP 1.09"}),
        "{broken",
        json.dumps({"id": "b", "text": "hello"}),
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    assert cli.main(["parse", "--jsonl"]) == 1
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [o.get("id") for o in out] == ["a", None, "b"]
    assert out[0]["kind"] == "open" and out[1]["line"] == 2 and out[2]["kind"] == "none"
    assert "line 2" in captured.err
