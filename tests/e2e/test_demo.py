"""The demo as a newcomer runs it: the shipped channel, two users, the paper broker."""

import json
from pathlib import Path

import pytest

from signal_copier import cli

ROOT = Path(__file__).resolve().parents[2]
USER_KEYS = {
    "orders_placed",
    "positions_closed",
    "positions_closed_partially",
    "sl_tp_changes",
    "orders_cancelled",
    "skipped",
    "missed_for_quota",
    "open_positions",
}


def _demo(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    assert cli.main(["demo", "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_demo_summary_follows_the_contract_and_shows_every_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    summary = _demo(capsys)
    assert set(summary) == {"users", "messages", "signals", "commands", "ignored", "latency_ms"}
    assert set(summary["users"]) == {"alice", "bob"}
    assert all(set(row) == USER_KEYS for row in summary["users"].values())
    alice, bob = summary["users"]["alice"], summary["users"]["bob"]
    assert summary["messages"] == 42
    assert alice["missed_for_quota"] > 0 and bob["missed_for_quota"] == 0  # free vs premium
    assert alice["skipped"]["quota"] == alice["missed_for_quota"]
    for row in (alice, bob):
        assert row["skipped"]["stale_signal"] == 1
        assert row["skipped"]["sl_wrong_side"] == 1
        # "close half" (alice's two 0.05 legs lose one whole leg: nearer half than 0.02 of
        # each), its compound "close half, SL to breakeven", and "close all US30"
        assert row["positions_closed_partially"] >= 1
        assert row["positions_closed_partially"] + row["positions_closed"] >= 3
        assert row["sl_tp_changes"] >= 3  # move SL to entry, the edit, TP1 → breakeven
    assert bob["orders_cancelled"] >= 1 and bob["orders_placed"] > alice["orders_placed"]
    assert summary["latency_ms"]["p99"] >= summary["latency_ms"]["p50"] > 0


def test_demo_is_deterministic_apart_from_latency(capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _demo(capsys), _demo(capsys)
    first.pop("latency_ms"), second.pop("latency_ms")
    assert first == second


def test_demo_replays_any_channel_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    channel = tmp_path / "c.jsonl"
    lines = [
        {
            "date": "2026-02-02T10:00:00Z",
            "chat": "@a",
            "id": 1,
            "text": "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900",
            "reply_to": None,
        },
        {"date": "2026-02-02T10:01:00Z", "chat": "@a", "id": 2, "text": "Close all", "reply_to": 1},
    ]
    channel.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    summary = _demo(capsys, "--replay", str(channel))
    assert (summary["messages"], summary["signals"], summary["commands"]) == (2, 1, 1)
    assert (
        summary["users"]["bob"]["positions_closed"] == 1
        and summary["users"]["bob"]["open_positions"] == 0
    )


def test_a_tp_hit_report_counts_as_ignored_while_it_cancels_the_waiting_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = tmp_path / "c.jsonl"
    lines = [
        {"date": "2026-02-02T09:59:00Z", "quote": {"EURUSD": [1.0850, 1.08508]}},
        {
            "date": "2026-02-02T10:00:00Z",
            "chat": "@a",
            "id": 1,
            "text": "EURUSD BUY LIMIT 1.0820\nSL 1.0790\nTP 1.0880",
            "reply_to": None,
        },
        {"date": "2026-02-02T10:01:00Z", "chat": "@a", "id": 2, "text": "TP hit ✅", "reply_to": 1},
    ]
    channel.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    summary = _demo(capsys, "--replay", str(channel))
    # The channel told a result, not an instruction: the summary counts it with the chatter.
    assert (summary["signals"], summary["commands"], summary["ignored"]) == (1, 0, 1)
    assert summary["users"]["bob"]["orders_cancelled"] == 1


def test_bad_replay_file_is_refused_with_its_line_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    channel = tmp_path / "bad.jsonl"
    channel.write_text(
        '{"date": "2026-02-02T10:00:00Z", "chat": "@a", "id": 1, "text": "hi"}\n{oops\n'
    )
    assert cli.main(["demo", "--replay", str(channel)]) == 2
    captured = capsys.readouterr()
    assert "bad.jsonl:2" in captured.err and captured.out == ""


def test_human_demo_prints_a_table_per_user(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "== alice" in out and "== bob" in out and "missed for quota" in out


def test_run_config_trades_for_one_user_and_keeps_state(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "run.json"
    config.write_text(
        json.dumps(
            {
                "replay": str(ROOT / "examples" / "demo_channel.jsonl"),
                "data_dir": "state",
                "settings": {
                    "risk_mode": "risk_percent",
                    "risk_percent": "0.5",
                    "max_signal_age_s": 120,
                },
            }
        )
    )
    assert cli.main(["run", "--config", str(config), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["users"]["me"]["orders_placed"] > 0
    assert (tmp_path / "state" / "copier.sqlite3").exists()
    assert oct((tmp_path / "state" / "vault.key").stat().st_mode & 0o777) == "0o600"


@pytest.mark.parametrize(
    ("content", "complaint"),
    [
        ('{"replay": "x.jsonl", "settings": {"lot": "-1"}}', "lot"),
        ('{"replay": "x.jsonl", "brokr": {}}', "brokr"),
        ("{not json", "not valid JSON"),
        ('{"replay": "x.jsonl", "data_dir": "caf\xe9"}', "not UTF-8"),
        ('{"replay": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000, "not valid JSON"),
    ],
    ids=["bad-setting", "unknown-key", "not-json", "latin1", "huge-number", "deep-nesting"],
)
def test_bad_run_config_names_the_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, complaint: str
) -> None:
    config = tmp_path / "run.json"
    config.write_bytes(content.encode("latin-1") if "\xe9" in content else content.encode())
    assert cli.main(["run", "--config", str(config)]) == 2
    assert complaint in capsys.readouterr().err
    assert not (tmp_path / "var").exists()
