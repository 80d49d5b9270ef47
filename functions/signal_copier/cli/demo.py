"""`signal-copier demo`: replay a channel for two demo users on the paper broker."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core.timeline import ReplayEvent
from signal_copier.report import render_table
from signal_copier.services import demo
from signal_copier.telegram import replay

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "demo_channel.jsonl"


def register(sub: Any) -> None:
    """Add the `demo` subcommand."""
    d = sub.add_parser("demo", help="replay a channel for two demo users on the paper broker")
    d.add_argument("--replay", type=Path, default=None, help="a channel file (JSON Lines)")
    d.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    d.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    events = replay.load(args.replay or EXAMPLE)
    with tempfile.TemporaryDirectory(prefix="signal-copier-demo-") as folder:
        settings = replace(Settings.from_env({}), data_dir=Path(folder))
        result = asyncio.run(replay_events(settings, events, quiet=args.json))
    print_result(result, as_json=args.json)
    return 0


async def replay_events(
    settings: Settings,
    events: list[ReplayEvent],
    *,
    quiet: bool,
    users: Sequence[demo.DemoUser] = demo.DEMO_USERS,
) -> dict[str, Any]:
    """Build the local runtime and replay events through it; return the summary."""
    start = events[0].at if events else None
    runtime = bootstrap.build_local(settings, start=start)
    try:
        progress = None if quiet else _progress(sys.stderr)
        return await demo.run(events, runtime.deps, runtime.queue, runtime.broker, progress, users)
    finally:
        runtime.close()


def _progress(stream: TextIO) -> demo.Progress:
    def show(done: int, total: int, what: str) -> None:
        stream.write(f"\r[{done:>4}/{total}] {what[:60]:<60}")
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


def print_result(result: dict[str, Any], *, as_json: bool) -> None:
    """Print the summary as the contract's JSON object, or as the human table."""
    if as_json:
        contract = {k: v for k, v in result.items() if k not in ("notes", "details")}
        print(json.dumps(contract, sort_keys=True))
        return
    print(render_table(result))
