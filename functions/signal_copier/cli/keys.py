"""`signal-copier rotate-keys`: re-encrypt every stored secret under the newest data key.

Resumable and safe to re-run: records already under the newest version are skipped, and each
record is rewritten in its own transaction. Progress goes to stderr, one line per page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
from dataclasses import asdict
from typing import Any

from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings


def register(sub: Any) -> None:
    """Add the `rotate-keys` subcommand."""
    r = sub.add_parser(
        "rotate-keys", help="re-encrypt every stored secret under the newest data key version"
    )
    r.add_argument(
        "--new-key",
        action="store_true",
        help="first add a freshly generated data key version to Secret Manager",
    )
    r.add_argument("--page-size", type=int, default=200, help="records read per page")
    r.add_argument("--json", action="store_true", help="print the final counts as JSON")
    r.set_defaults(func=_rotate_keys)


def _rotate_keys(args: argparse.Namespace) -> int:
    settings = Settings.from_env(os.environ)
    if settings.vault != "envelope":
        raise InvalidSettings("COPIER_VAULT: rotate-keys works on the envelope vault only")
    if not 0 < args.page_size <= 500:
        raise InvalidSettings("--page-size: between 1 and 500")
    result = asyncio.run(_run(settings, new_key=args.new_key, page_size=args.page_size))
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 1 if result["unreadable"] else 0


async def _run(settings: Settings, *, new_key: bool, page_size: int) -> dict[str, Any]:
    from signal_copier.bootstrap import envelope_vault
    from signal_copier.vault.rotation import Rotation, rotate
    from signal_copier.vault.secret_manager import KEY_BYTES, SecretManagerKeys

    vault, keys = envelope_vault(settings)
    try:
        if new_key:
            if not isinstance(keys, SecretManagerKeys):
                raise InvalidSettings("--new-key: needs COPIER_DATA_KEY_SECRET (Secret Manager)")
            version = await keys.add_version(secrets.token_bytes(KEY_BYTES))
            print(f"added data key version {version}", file=sys.stderr)

        def show(progress: Rotation) -> None:
            print(progress.line(), file=sys.stderr, flush=True)

        return asdict(await rotate(vault, keys, page_size=page_size, progress=show))
    finally:
        await vault.aclose()
