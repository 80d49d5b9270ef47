"""`signal-copier fleet simulate`: the real lease and watermark code on SQLite, simulated time."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any


def register(sub: Any) -> None:
    """Add the `fleet` command group."""
    fleet = sub.add_parser("fleet", help="the listener fleet")
    commands = fleet.add_subparsers(required=True, metavar="SUBCOMMAND")
    sim = commands.add_parser("simulate", help="simulate listeners crashing and pausing")
    sim.add_argument("--listeners", type=_positive, default=20)
    sim.add_argument("--users", type=_positive, default=10_000)
    sim.add_argument("--minutes", type=float, default=10.0, help="minutes of faults and messages")
    sim.add_argument("--seed", type=int, default=1)
    sim.add_argument("--crash-rate", type=float, default=0.02, help="per listener per minute")
    sim.add_argument("--pause-rate", type=float, default=0.01, help="per listener per minute")
    sim.add_argument("--json", action="store_true")
    sim.set_defaults(func=_simulate)


def _simulate(args: argparse.Namespace) -> int:
    from signal_copier.core.errors import InvalidSettings
    from signal_copier.fleet.sim.run import Scenario, simulate

    if args.minutes <= 0 or args.crash_rate < 0 or args.pause_rate < 0:
        raise InvalidSettings("--minutes must be positive and the rates at least 0")
    scenario = Scenario(
        listeners=args.listeners,
        users=args.users,
        minutes=args.minutes,
        seed=args.seed,
        crash_rate=args.crash_rate,
        pause_rate=args.pause_rate,
    )
    report = asdict(simulate(scenario))
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:<26} {value}")
    return 0 if report["double_owner_events"] == 0 and report["lost_messages"] == 0 else 1


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
