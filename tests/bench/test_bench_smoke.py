"""The benchmark code runs (tiny sizes); its numbers are read from ./dev bench, never asserted."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import run

from signal_copier.stack.emulators import Emulators


async def test_pipeline_benchmark_runs_and_reports_latency(tmp_path: Path) -> None:
    figures = await run.pipeline_latency(30, tmp_path)
    assert figures["messages"] == 30 and figures["p99_ms"] >= figures["p50_ms"] > 0


def test_parser_benchmark_runs() -> None:
    assert run.parser_throughput(1)["messages"] > 0


async def test_metaapi_round_trip_benchmark_runs(tmp_path: Path) -> None:
    trips = await run.metaapi_round_trips(tmp_path)
    assert trips["first"][:3] == ["get_account", "connect", "wait_synchronized"]


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
