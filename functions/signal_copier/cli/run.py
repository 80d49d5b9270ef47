"""`signal-copier run --config FILE`: local mode for one trader, resumable across runs.

The store (data_dir/copier.sqlite3) remembers every message and trade; data_dir/paper.json keeps
the paper account and the last replay line done, saved every few seconds, at the end, and on
Ctrl-C. A rerun resumes after that line on the same account.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signal_copier.broker.paper import PaperBroker
from signal_copier.cli.demo import INTERRUPTED, Replay, print_result, say_if_empty, stopped_line
from signal_copier.config import Settings
from signal_copier.core.errors import CopierError
from signal_copier.core.timeline import ReplayEvent
from signal_copier.files import private_folder
from signal_copier.runstate import Resumed, RunState
from signal_copier.telegram import replay

if TYPE_CHECKING:
    from signal_copier.runconfig import RunConfig

SAVE_EVERY_S = 5.0  # a hard kill (not Ctrl-C) loses at most this much of the paper account


def register(sub: Any) -> None:
    """Add the `run` subcommand."""
    r = sub.add_parser("run", help="run local mode from a config file")
    r.add_argument("--config", type=Path, required=True)
    r.add_argument("--json", action="store_true")
    r.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from signal_copier.runconfig import MetaApiBrokerConfig, load_run_config

    config = load_run_config(args.config)
    settings = replace(Settings.from_env(os.environ), data_dir=config.data_dir)
    if config.replay is None:  # a live Telegram source
        from signal_copier.cli.telegram import run_live

        return run_live(config, settings)
    events = replay.load(config.replay)
    say_if_empty(config.replay, events)
    private_folder(config.data_dir)  # a data_dir that is a file, or unwritable, is named now
    run_state = RunState(config.data_dir, config.replay)
    with run_state.exclusive():
        if isinstance(config.broker, MetaApiBrokerConfig):  # a real account, on the real clock
            from signal_copier.cli.live import replay_on_metaapi

            print_result(
                asyncio.run(replay_on_metaapi(config, settings, events)), as_json=args.json
            )
            return 0
        return _replay(args, config, events, run_state)


def _replay(
    args: argparse.Namespace, config: RunConfig, events: list[ReplayEvent], run_state: RunState
) -> int:
    resumed = run_state.load()
    paper = resumed.broker if resumed else _fresh(events)
    if resumed:
        print(_resumed_line(run_state, resumed, events), file=sys.stderr)
    saver = _Saver(run_state, paper, resumed.line if resumed else 0)
    run = Replay(
        settings=replace(Settings.from_env(os.environ), data_dir=config.data_dir),
        events=events,
        quiet=args.json,
        users=(config.demo_user(),),
        paper=paper,
        resume_after=resumed.line if resumed else 0,
        after_line=saver.after_line,
    )
    try:
        result = asyncio.run(run.go())
    except BaseException:
        if saver.dirty:  # keep what finished before a failure or a second Ctrl-C
            with suppress(CopierError):  # the error under way is the one to report
                saver.save()
        raise
    saver.save()
    if result["progress"]["stopped"]:
        print(
            f"{stopped_line(run_state.replay, result)}; saved in {run_state.path}", file=sys.stderr
        )
        return INTERRUPTED
    print_result(result, as_json=args.json)
    return 0


class _Saver:
    """Save the paper account after the lines that finished, at most every SAVE_EVERY_S."""

    def __init__(self, run_state: RunState, paper: PaperBroker, line: int) -> None:
        self.run_state, self.paper, self.line = run_state, paper, line
        self.dirty = False  # lines finished since the last save
        self._saved_at = time.monotonic()

    def after_line(self, line: int) -> None:
        """Note a finished line; save when the last save is old enough."""
        self.line, self.dirty = line, True
        if time.monotonic() - self._saved_at >= SAVE_EVERY_S:
            self.save()

    def save(self) -> None:
        """Save now."""
        self.run_state.save(self.line, self.paper)
        self.dirty = False
        self._saved_at = time.monotonic()


def _fresh(events: list[ReplayEvent]) -> PaperBroker:
    return PaperBroker(now=events[0].at) if events else PaperBroker()


def _resumed_line(run_state: RunState, resumed: Resumed, events: list[ReplayEvent]) -> str:
    left = sum(1 for e in events if e.line > resumed.line)
    accounts = resumed.broker.accounts()
    positions = sum(len(a.ledger.positions) for a in accounts)
    orders = sum(len(a.ledger.orders) for a in accounts)
    done = f"lines 1-{resumed.line} of {run_state.replay} were done before"
    held = f"the paper account holds {positions} position(s) and {orders} pending order(s)"
    to_go = f"{left} event(s) to go" if left else "nothing new to replay"
    return f"resumed from {run_state.path}: {done}; {held}; {to_go}"
