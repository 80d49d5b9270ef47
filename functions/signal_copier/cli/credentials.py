"""`signal-copier credentials set|delete --config FILE`: the MetaAPI token of a local run.

The token is read from standard input (a prompt that does not echo when it is a terminal),
never from the command line, and stored encrypted in the run's data dir (the local vault).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from signal_copier.config import Settings
from signal_copier.core.errors import InvalidInput, InvalidSettings

MAX_TOKEN = 8192


def register(sub: Any) -> None:
    """Add the `credentials` subcommand."""
    c = sub.add_parser(
        "credentials", help="store (from stdin) or delete the MetaAPI token of a run config"
    )
    c.add_argument("action", choices=("set", "delete"))
    c.add_argument("--config", type=Path, required=True)
    c.set_defaults(func=_credentials)


def read_token(stream: TextIO, prompt: Callable[[str], str] = getpass.getpass) -> str:
    """Return the token typed at a hidden prompt, or the first line piped in; checked."""
    token = prompt("MetaAPI token: ") if stream.isatty() else stream.readline(MAX_TOKEN + 2)
    token = token.strip()
    if not token:
        raise InvalidInput("no token given: type it at the prompt or pipe it on stdin")
    if len(token) > MAX_TOKEN or not token.isascii() or not token.isprintable() or " " in token:
        raise InvalidInput("that does not look like a MetaAPI token (one line, no spaces)")
    return token


def _credentials(args: argparse.Namespace) -> int:
    from signal_copier.runconfig import MetaApiBrokerConfig, load_run_config
    from signal_copier.vault.local import LocalVault

    config = load_run_config(args.config)
    if not isinstance(config.broker, MetaApiBrokerConfig):
        raise InvalidSettings(f"{args.config}: broker.kind must be 'metaapi' to hold a token")
    settings = replace(Settings(), data_dir=config.data_dir)
    vault = LocalVault(settings.vault_key, settings.vault_dir)
    name, account = config.broker.token_secret, config.broker.account_id
    if args.action == "delete":
        asyncio.run(vault.delete(name))
        print(f"deleted the MetaAPI token {name!r} of account {account}")
        return 0
    asyncio.run(vault.put(name, read_token(sys.stdin).encode()))
    print(f"stored the MetaAPI token {name!r} of account {account}, encrypted in {config.data_dir}")
    return 0
