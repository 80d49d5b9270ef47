"""The benchmark code runs (tiny sizes); its numbers are read from ./dev bench, never asserted."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import metaapi_trips
import run

from signal_copier.stack.emulators import Emulators


async def test_pipeline_benchmark_runs_and_reports_latency(tmp_path: Path) -> None:
    figures = await run.pipeline_latency(30, tmp_path)
    assert figures["messages"] == 30 and figures["p99_ms"] >= figures["p50_ms"] > 0


def test_parser_benchmark_runs() -> None:
    assert run.parser_throughput(1)["messages"] > 0


async def test_metaapi_round_trip_benchmark_runs(tmp_path: Path) -> None:
    trips = await metaapi_trips.metaapi_round_trips(tmp_path)
    assert trips["first"].requests[:3] == ["get_account", "connect", "wait_synchronized"]
    assert trips["first"].round_trips >= 3  # those three waited for each other


async def test_fanout_publish_benchmark_runs_on_the_emulator(emulators: Emulators) -> None:
    from pubsub_fanout import publish_fanout

    figures = await publish_fanout(emulators.project, 50)
    assert figures["messages"] == 50 and figures["seconds"] > 0


async def test_fanout_read_benchmark_runs_on_the_emulator(firestore_emulator: Emulators) -> None:
    from firestore_fanout import read_subscribers

    figures = await read_subscribers(firestore_emulator.project, 12, rounds=1)
    assert figures["subscribers"] == 12 and figures["best_s"] >= figures["first_page_s"] > 0


def test_idle_client_memory_benchmark_runs() -> None:
    figures = run.idle_client_memory(20)
    assert figures["clients"] == 20 and figures["per_100_kib"] >= 0


def test_engine_rows_judge_each_rate_the_flatness_and_the_round_trips() -> None:
    replays = [
        {"messages": 1000, "per_s": 1200.0, "per_cpu_s": 1300.0, "p50_ms": 0.5, "p99_ms": 2.0},
        {"messages": 50000, "per_s": 900.0, "per_cpu_s": 950.0, "p50_ms": 0.6, "p99_ms": 2.5},
    ]

    rows = {r.name: r for r in run.engine_rows(replays, 3.2, 5.1)}

    verdicts = [r.verdict for r in rows.values()]
    assert verdicts == ["pass", "miss", "miss", "-", "-", "pass", "miss"]
    flat = next(r for name, r in rows.items() if "flat" in name)
    assert flat.value == "0.75"


def test_every_row_with_a_target_gets_a_verdict_and_misses_are_listed() -> None:
    rows = [
        run.Row(name="fast enough", value="3 ms", target="< 5 ms", met=True),
        run.Row(name="too slow", value="9 ms", target="< 5 ms", met=False),
        run.Row(name="just a figure", value="120"),
    ]

    table = run.render(rows).splitlines()

    assert table[2].endswith("pass") and table[3].endswith("miss") and table[4].endswith("-")
    assert table[5:] == ["1 of 2 targets met", "  missed: too slow"]


def test_the_bench_prints_a_verdict_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--messages", "30", "--rounds", "1", "--fanout", "10", "--replay", "20,40"]
    assert run.main(argv) == 0

    out = capsys.readouterr().out
    assert "verdict" in out and "targets met" in out
    assert any(line.endswith(("pass", "miss")) for line in out.splitlines())


def test_parser_worst_case_runs_over_every_adversarial_input() -> None:
    from parser_worst import adversarial_texts, parser_worst_case

    figures = parser_worst_case(repeats=1)

    assert figures["inputs"] == len(adversarial_texts()) and figures["worst_ms"] > 0
    assert all(len(text) == 4096 for text in adversarial_texts().values())


async def test_poll_sweep_benchmark_publishes_one_poll_per_watched_account(
    tmp_path: Path,
) -> None:
    from poll_sweep import polls_on_sqlite

    figures = await polls_on_sqlite(12, tmp_path, rounds=2)

    assert figures["accounts"] == 12 and figures["median_s"] >= figures["best_s"] > 0
