"""`signal-copier serve [--replay FILE] [--port N]`: the dashboard, its API and the pipeline in
one local process (SQLite, the paper broker, an offline Telegram login).

With --replay the channel file plays in the background at a watchable pace once the local user
pressed Start (or at once with --ready, which onboards the local user itself).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core.dashboard import BotStatus, ChatInfo
from signal_copier.telegram import replay

ROOT = Path(__file__).resolve().parents[3]
LOCAL_USER = "local"
PAPER_ACCOUNT = "paper-demo"


def register(sub: Any) -> None:
    """Add the `serve` subcommand."""
    s = sub.add_parser("serve", help="open the dashboard locally (API + pipeline, paper broker)")
    s.add_argument("--replay", type=Path, default=None, help="a channel file to play (JSON Lines)")
    s.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--pace", type=float, default=2.0, help="seconds between replayed events")
    s.add_argument("--data-dir", type=Path, default=None, help="default: a fresh temporary folder")
    s.add_argument("--ready", action="store_true", help="onboard the local user and start at once")
    s.set_defaults(func=_serve)


def _serve(args: argparse.Namespace) -> int:
    events = replay.load(args.replay) if args.replay else []
    with ExitStack() as stack:
        folder = args.data_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = replace(Settings.from_env({}), data_dir=folder)
        asyncio.run(_run(settings, events, args))
    return 0


async def _run(
    settings: Settings, events: list[replay.ReplayEvent], args: argparse.Namespace
) -> None:
    import uvicorn

    from signal_copier.cli.serve_app import LocalServer

    runtime = bootstrap.build_local(settings, start=events[0].at if events else None)
    code = f"{secrets.randbelow(90000) + 10000}"
    server = LocalServer(runtime, telegram_code=code, web_dir=ROOT / "web")
    try:
        runtime.broker.open_account(PAPER_ACCOUNT, balance=Decimal(10_000))
        await _offer_chats(server, events, args.replay)
        if args.ready:
            await server.onboard(LOCAL_USER, PAPER_ACCOUNT, replay.chats(events))
        config = uvicorn.Config(  # log_config=None: uvicorn logs through our JSON root handler
            server.app, host=args.host, port=args.port, log_level="warning", log_config=None
        )
        web = uvicorn.Server(config)
        task = asyncio.create_task(web.serve())
        while not web.started:
            if task.done():
                return await task
            await asyncio.sleep(0.05)
        _announce(server, web, code)
        player = server.player(events, args.pace, LOCAL_USER) if events else None
        await asyncio.gather(task, *([player] if player else []))
    finally:
        runtime.close()


async def _offer_chats(server: Any, events: list[replay.ReplayEvent], source: Path | None) -> None:
    titles: dict[str, str] = {}
    for event in events:
        if event.message is not None:
            titles.setdefault(event.message.chat_id, event.message.chat_title)
    chats = [ChatInfo(chat_id=chat_id, title=title or chat_id) for chat_id, title in titles.items()]
    state = BotStatus(
        state="running" if source else "unlinked",
        detail=f"replaying {source.name}" if source else "no channel file: pass --replay FILE",
        updated=datetime.now(UTC),
    )
    await server.offer_chats(LOCAL_USER, chats, state)


def _announce(server: Any, web: Any, code: str) -> None:
    host, port = web.servers[0].sockets[0].getsockname()[:2]
    link = f"http://{host}:{port}/#login={server.auth.issue_link(LOCAL_USER)}"
    lines = {
        "url": f"http://{host}:{port}/",
        "login": link,
        "paper_account": PAPER_ACCOUNT,
        "telegram_code": code,
    }
    print(json.dumps(lines), flush=True)
    print(
        f"\nDashboard: open this one-time login link\n  {link}\n"
        f"Connect MetaTrader with account id {PAPER_ACCOUNT!r} (any token); "
        f"the Telegram login code is {code}.\nCtrl+C stops.",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    from signal_copier.cli import main

    raise SystemExit(main(["serve", *sys.argv[1:]]))
