"""signal-copier: one subcommand per module of this package (demo, parse, run, ...)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from signal_copier import config, logs
from signal_copier.cli import credentials, demo, fleet, keys, parse, run, serve, telegram
from signal_copier.core.errors import CopierError

# Each module adds its subcommands to the parser; order is the order of `--help`.
COMMANDS = (demo, parse, run, serve, credentials, keys, fleet, telegram)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        logs.configure(config.log_level(os.environ))
        return int(args.func(args))
    except CopierError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="signal-copier", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return parser
