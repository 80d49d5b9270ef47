"""`signal-copier run --config FILE`: local mode for one trader."""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from signal_copier.cli.demo import print_result, replay_events
from signal_copier.config import Settings
from signal_copier.telegram import replay


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
    if isinstance(config.broker, MetaApiBrokerConfig):  # a real account, on the real clock
        from signal_copier.cli.live import replay_on_metaapi

        result = asyncio.run(replay_on_metaapi(config, settings, events))
    else:
        result = asyncio.run(
            replay_events(settings, events, quiet=args.json, users=(config.demo_user(),))
        )
    print_result(result, as_json=args.json)
    return 0
