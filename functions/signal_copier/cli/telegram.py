"""`signal-copier link-telegram`: link your Telegram account for `run --config` (in a terminal).

The same login port as the dashboard's, step by step; the session is stored encrypted in the
local vault and only the listener connects it from then on.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from signal_copier.app_secrets import telegram_app
from signal_copier.config import Settings
from signal_copier.core.dashboard import LoginStage, LoginStep
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.ports import TelegramLogin

Ask = Callable[[str], str]


def register(sub: Any) -> None:
    """Add the `link-telegram` subcommand."""
    link = sub.add_parser("link-telegram", help="link your Telegram account for run --config")
    link.add_argument(
        "--config", type=Path, required=True, help="the run config (data_dir, user_id)"
    )
    link.add_argument("--phone", default=None, help="your phone number with country code")
    link.set_defaults(func=_link)


async def link(login: TelegramLogin, user_id: str, phone: str, ask: Ask, secret: Ask) -> LoginStep:
    """Walk the login steps in a terminal, asking for the code and then the password."""
    step = await login.send_code(user_id, phone)
    step = await login.submit_code(user_id, ask(f"Code ({step.hint}): "))
    if step.stage is LoginStage.PASSWORD_NEEDED:
        hint = f" (hint: {step.hint})" if step.hint else ""
        step = await login.submit_password(
            user_id, secret(f"Two-step verification password{hint}: ")
        )
    return step


def _link(args: argparse.Namespace) -> int:
    from signal_copier.runconfig import load_run_config
    from signal_copier.store.sqlite import SqliteStore
    from signal_copier.telegram.telethon import TelethonLogin
    from signal_copier.vault.local import LocalVault

    config = load_run_config(args.config)
    settings = Settings.from_env(os.environ)
    app = asyncio.run(telegram_app(settings, os.environ))
    data = config.data_dir
    vault = LocalVault(data / "vault.key", data / "secrets")
    phone = args.phone or input("Phone number (with country code): ")
    store = SqliteStore(str(data / "copier.sqlite3"))
    try:
        shards = settings.fleet_shards
        login = TelethonLogin(vault, store, app.api_id, app.api_hash, shards=shards)
        done = asyncio.run(link(login, config.user_id, phone, input, getpass.getpass))
    finally:
        store.close()
    print(f"linked ({done.hint}) for {config.user_id}")
    return 0


def run_live(config: Any, settings: Settings) -> int:
    """Run `run --config` with the trader's live Telegram session as the source."""
    asyncio.run(_run_live(config, settings))
    return 0


async def _run_live(config: Any, settings: Settings) -> None:
    from signal_copier import bootstrap
    from signal_copier.core.fleet import session_secret_name
    from signal_copier.services import demo
    from signal_copier.services.fleet import FleetDeps
    from signal_copier.services.fleet_local import PipelineQueue, listen
    from signal_copier.services.local import LocalPipeline
    from signal_copier.telegram.telethon import TelethonSessions

    app = await telegram_app(settings, os.environ)
    runtime = bootstrap.build_local(settings, start=now())
    try:
        user = config.demo_user()
        if await runtime.deps.vault.get(session_secret_name(user.user_id)) is None:
            raise InvalidSettings(
                f"no Telegram session for {user.user_id}: run link-telegram first"
            )
        await demo.onboard(runtime.deps, runtime.broker, [user], config.source.chats)
        owners = {f"paper-{user.user_id}": user.user_id}
        pipeline = LocalPipeline(runtime.deps, runtime.queue, runtime.broker, owners, now())
        deps = FleetDeps(
            store=runtime.store,
            queue=PipelineQueue(pipeline, now),
            vault=runtime.deps.vault,
            telegram=TelethonSessions(app.api_id, app.api_hash),
            clock=now,
        )
        await listen(deps, stop_on_signals())
    finally:
        runtime.close()


def stop_on_signals() -> asyncio.Event:
    """Return an event set by SIGINT or SIGTERM (call inside the running loop)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    return stop


def now() -> datetime:
    """Return the wall clock (aware UTC)."""
    return datetime.now(UTC)
