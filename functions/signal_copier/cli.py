"""signal-copier: demo | parse | run."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from signal_copier import bootstrap, logs
from signal_copier.config import Settings
from signal_copier.core.errors import CopierError
from signal_copier.core.parsing import parse, to_label
from signal_copier.report import render_table
from signal_copier.services import demo
from signal_copier.telegram import replay

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "demo_channel.jsonl"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    logs.configure(os.environ.get("COPIER_LOG_LEVEL", "WARNING"))
    try:
        return int(args.func(args))
    except CopierError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signal-copier", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    d = sub.add_parser("demo", help="replay a channel for two demo users on the paper broker")
    d.add_argument("--replay", type=Path, default=None, help="a channel file (JSON Lines)")
    d.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    d.set_defaults(func=_demo)
    p = sub.add_parser("parse", help="show how a message is read")
    p.add_argument("text", nargs="?", help="the message text")
    p.add_argument("--jsonl", action="store_true", help='read {"id","text"} lines from stdin')
    p.add_argument("--explain", action="store_true", help="show which words were read as what")
    p.set_defaults(func=_parse)
    r = sub.add_parser("run", help="run local mode from a config file")
    r.add_argument("--config", type=Path, required=True)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_run)
    return parser


def _demo(args: argparse.Namespace) -> int:
    events = replay.load(args.replay or EXAMPLE)
    with tempfile.TemporaryDirectory(prefix="signal-copier-demo-") as folder:
        settings = replace(Settings.from_env({}), data_dir=Path(folder))
        result = asyncio.run(_replay(settings, events, quiet=args.json))
    _print_result(result, as_json=args.json)
    return 0


def _run(args: argparse.Namespace) -> int:
    from signal_copier.runconfig import load_run_config

    config = load_run_config(args.config)
    events = replay.load(config.replay)
    settings = replace(Settings.from_env(os.environ), data_dir=config.data_dir)
    result = asyncio.run(_replay(settings, events, quiet=args.json, users=(config.demo_user(),)))
    _print_result(result, as_json=args.json)
    return 0


async def _replay(
    settings: Settings,
    events: list[replay.ReplayEvent],
    *,
    quiet: bool,
    users: Sequence[demo.DemoUser] = demo.DEMO_USERS,
) -> dict[str, Any]:
    start = events[0].at if events else None
    runtime = bootstrap.build(settings, start=start)
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


def _print_result(result: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        contract = {k: v for k, v in result.items() if k not in ("notes", "details")}
        print(json.dumps(contract, sort_keys=True))
        return
    print(render_table(result))


def _parse(args: argparse.Namespace) -> int:
    if args.jsonl:
        return _parse_lines(sys.stdin, sys.stdout)
    if args.text is None:
        print("error: give a TEXT or --jsonl", file=sys.stderr)
        return 2
    parsed = parse(args.text)
    print(json.dumps(to_label(parsed), ensure_ascii=False, indent=2))
    if args.explain:
        print("\n".join(parsed.explain) or "(nothing recognised)")
        if parsed.reason:
            print(f"reason: {parsed.reason}")
    return 0


def _parse_lines(source: TextIO, sink: TextIO) -> int:
    """Write one prediction per input line; a bad line gets an error record, never a crash."""
    failures = 0
    for number, line in enumerate(source, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                raise ValueError('expected {"id": ..., "text": "..."}')
        except ValueError as e:
            failures += 1
            print(f"error: line {number}: {e}", file=sys.stderr)
            sink.write(json.dumps({"id": None, "line": number, "error": str(e)}) + "\n")
            continue
        prediction = {"id": item.get("id"), **to_label(parse(item["text"]))}
        sink.write(json.dumps(prediction, ensure_ascii=False) + "\n")
    return 1 if failures else 0
