"""`signal-copier demo`: replay a channel for two demo users on the paper broker."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.config import Settings
from signal_copier.core.timeline import ReplayEvent
from signal_copier.report import render_table
from signal_copier.services import demo
from signal_copier.telegram import replay

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "demo_channel.jsonl"
INTERRUPTED = 130  # the shell's code for a run stopped by Ctrl-C


def register(sub: Any) -> None:
    """Add the `demo` subcommand."""
    d = sub.add_parser("demo", help="replay a channel for two demo users on the paper broker")
    d.add_argument("--replay", type=Path, default=None, help="a channel file (JSON Lines)")
    d.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    d.add_argument(
        "--stack",
        choices=("local", "emulators"),
        default="local",
        help="local: one process on embedded parts (default); emulators: the cloud path "
        "(Pub/Sub push to the functions, Firestore) on Google's emulators",
    )
    d.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    source = args.replay or EXAMPLE
    events = replay.load(source)
    say_if_empty(source, events)
    if args.stack == "emulators":
        return _on_emulators(events, as_json=args.json)
    with tempfile.TemporaryDirectory(prefix="signal-copier-demo-") as folder:
        settings = replace(Settings.from_env({}), data_dir=Path(folder))
        run = Replay(settings=settings, events=events, quiet=args.json, durable=False)
        result = asyncio.run(run.go())
    if result["progress"]["stopped"]:
        print(stopped_line(source, result), file=sys.stderr)
        return INTERRUPTED
    print_result(result, as_json=args.json)
    return 0


@dataclass(kw_only=True)
class Replay:
    """One replay through the local runtime: progress on stderr, Ctrl-C stops between lines."""

    settings: Settings
    events: list[ReplayEvent]
    quiet: bool
    users: Sequence[demo.DemoUser] = demo.DEMO_USERS
    paper: PaperBroker | None = None  # a resumed paper account (default: a fresh one)
    resume_after: int = 0
    after_line: Callable[[int], None] | None = None
    durable: bool = True  # journal the queue (False: a throwaway data folder)
    interrupted: bool = False

    async def go(self) -> dict[str, Any]:
        """Run the events (the runtime is closed afterwards); return the summary."""
        start = self.events[0].at if self.events else None
        paper = self.paper or (PaperBroker(now=start) if start else PaperBroker())
        runtime = bootstrap.build_local(self.settings, paper=paper, durable=self.durable)
        controls = demo.Controls(
            resume_after=self.resume_after,
            stop=lambda: self.interrupted,
            after_line=self.after_line,
        )
        try:
            with self._ctrl_c(), _progress(sys.stderr, len(self.events), self.quiet) as progress:
                return await demo.run(
                    self.events,
                    runtime.deps,
                    runtime.queue,
                    runtime.broker,
                    progress,
                    self.users,
                    controls,
                )
        finally:
            runtime.close()

    @contextmanager
    def _ctrl_c(self) -> Iterator[None]:
        # The first Ctrl-C asks to stop after the line in progress; a second one is the usual
        # KeyboardInterrupt (the default handler is back once the first was seen).
        loop = asyncio.get_running_loop()

        def requested() -> None:
            self.interrupted = True
            loop.remove_signal_handler(signal.SIGINT)

        try:
            loop.add_signal_handler(signal.SIGINT, requested)
        except (NotImplementedError, RuntimeError):  # no signals here (Windows, a thread)
            yield
            return
        try:
            yield
        finally:
            loop.remove_signal_handler(signal.SIGINT)


def _on_emulators(events: list[ReplayEvent], *, as_json: bool) -> int:
    try:  # the cloud SDKs are not part of the base install
        from signal_copier.stack import demo as stack_demo
    except ImportError as e:
        print(f"error: --stack emulators needs the cloud dependencies ({e.name}): "
              "./dev setup dev, or install signal-copier[cloud]", file=sys.stderr)  # fmt: skip
        return 2
    options = stack_demo.StackOptions(
        environ={"COPIER_LOG_LEVEL": os.environ.get("COPIER_LOG_LEVEL", "WARNING")}
    )
    try:
        with _progress(sys.stderr, len(events), as_json) as progress:
            result = stack_demo.replay_on_emulators(events, progress, options)
    except RuntimeError as e:  # emulators missing or not starting, or the stack got stuck
        print(f"error: {e}", file=sys.stderr)
        return 1
    print_result(result.summary, as_json=as_json)
    return 0


@contextmanager
def _progress(stream: TextIO, total: int, quiet: bool) -> Iterator[demo.Progress | None]:
    console = Console(file=stream)
    if quiet or not total:
        yield None
    elif console.is_terminal:
        columns = (
            TextColumn("replaying"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.description}"),
        )
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task("", total=total)
            yield lambda done, _, what: bar.update(task, completed=done, description=what[:50])
    else:
        yield _plain_lines(stream)


def _plain_lines(stream: TextIO) -> demo.Progress:
    # A file or a pipe gets a few whole lines (every tenth of the way), never "\r" redraws.
    shown = {-1}

    def show(done: int, total: int, what: str) -> None:
        tenth = done * 10 // total
        if tenth not in shown:
            shown.add(tenth)
            stream.write(f"replayed {done}/{total} lines ({tenth * 10}%)\n")
            stream.flush()

    return show


def say_if_empty(source: Path, events: list[ReplayEvent]) -> None:
    """Tell the user when a replay file holds no events at all."""
    if not events:
        print(f"note: {source} holds no events: nothing to replay", file=sys.stderr)


def stopped_line(source: Path, result: dict[str, Any]) -> str:
    """Return the one line that says where a Ctrl-C stopped the replay."""
    line = result["progress"]["last_line"]
    where = f"after line {line} of {source}" if line else f"before the first line of {source}"
    return f"stopped (Ctrl-C) {where}"


def print_result(result: dict[str, Any], *, as_json: bool) -> None:
    """Print the summary as the contract's JSON object, or as the human table."""
    if as_json:
        hidden = ("notes", "details", "progress")
        print(json.dumps({k: v for k, v in result.items() if k not in hidden}, sort_keys=True))
        return
    print(render_table(result))
