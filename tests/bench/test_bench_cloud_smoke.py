"""The cloud benchmarks run (tiny sizes); their numbers come from ./dev bench, never asserted."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import cloud
import intent_throughput

from signal_copier.stack.emulators import Emulators


async def test_on_intent_benchmark_places_every_intent_through_the_real_handler(
    tmp_path: Path,
) -> None:
    environ = {"COPIER_MODE": "local", "COPIER_DATA_DIR": str(tmp_path), "COPIER_PUSH_AUTH": "off"}

    figures = await intent_throughput.on_intent_throughput(environ, users=3, concurrency=2)

    assert figures["warm"]["answers"] == {"200 placed": 3}
    assert figures["cold"]["calls_per_intent"] > figures["warm"]["calls_per_intent"] > 0


async def test_fanout_benchmark_publishes_one_intent_per_follower(emulators: Emulators) -> None:
    figures = await cloud.fanout_end_to_end(emulators, 12, rounds=2)

    assert figures["intents"] == 12 and figures["seconds"] > 0


async def test_stack_demo_benchmark_reports_latency(emulators: Emulators, tmp_path: Path) -> None:
    channel = tmp_path / "c.jsonl"
    line = {"date": "2026-02-02T10:00:00Z", "chat": "@alphasignals", "id": 1, "text": "Hi"}
    channel.write_text(json.dumps(line) + "\n")

    figures = await cloud.stack_demo_latency(emulators, tmp_path, channel)

    assert figures["p99"] >= figures["p50"] > 0


async def test_poll_sweep_benchmark_runs_on_the_emulators(emulators: Emulators) -> None:
    from poll_sweep import polls_on_emulators

    figures = await polls_on_emulators(emulators, 12, rounds=1)

    assert figures["accounts"] == 12 and figures["best_s"] > 0
