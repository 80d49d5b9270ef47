"""The local dashboard's wiring: the API app over the local runtime, the static pages with the
same headers Firebase Hosting sends (read from firebase.json), and the replay player."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Message, Receive, Scope, Send

from signal_copier.api import ApiPorts, create_app
from signal_copier.api.feed import LocalChanges
from signal_copier.auth.local import LocalAuth
from signal_copier.bootstrap import LocalRuntime
from signal_copier.core.dashboard import BotStatus, ChatInfo
from signal_copier.core.market import Credentials
from signal_copier.core.settings import TradeSettings
from signal_copier.services import onboarding
from signal_copier.services.local import LocalPipeline
from signal_copier.services.replay_live import play
from signal_copier.services.webdeps import WebDeps
from signal_copier.telegram.offline import OfflineTelegramLogin
from signal_copier.telegram.replay import ReplayEvent

FIREBASE_JSON = Path(__file__).resolve().parents[3] / "firebase.json"


class LocalServer:
    """Everything `serve` runs in its one process."""

    def __init__(self, runtime: LocalRuntime, *, telegram_code: str, web_dir: Path) -> None:
        self.runtime = runtime
        self.auth = LocalAuth()
        self.changes = LocalChanges()
        self._offer: tuple[list[ChatInfo], BotStatus | None] = ([], None)
        self.web = WebDeps(
            deps=runtime.deps,
            web=runtime.store,
            fleet=runtime.store,
            telegram=OfflineTelegramLogin(code=telegram_code, on_linked=self.list_chats),
        )
        self.pipeline: LocalPipeline | None = None
        ports = ApiPorts(
            web=self.web,
            auth=self.auth,
            mode="local",
            local_links=self.auth,
            changes=self.changes,
            trading_clock=self._trading_now,
        )
        static = Mount("/", app=StaticFiles(directory=web_dir, html=True), name="web")
        self.app: Any = HostingHeaders(create_app(ports, [static]), hosting_headers())

    async def offer_chats(self, user_id: str, chats: list[ChatInfo], status: BotStatus) -> None:
        """List the chats the local user may follow, and the bot's state (a listener's part)."""
        self._offer = (chats, status)
        await self.list_chats(user_id)

    async def list_chats(self, user_id: str) -> None:
        """Write the offered chats and bot state again (after Telegram was linked anew)."""
        chats, status = self._offer
        for chat in chats:
            await self.runtime.store.put_user_chat(user_id, chat)
        if status is not None:
            await self.runtime.store.put_bot_status(user_id, status)

    def _trading_now(self) -> datetime:
        return self.pipeline.now if self.pipeline else self.runtime.broker.now

    async def onboard(self, user_id: str, account_id: str, chat_ids: Sequence[str]) -> None:
        """Connect the paper account, follow the chats (within the plan) and press Start."""
        now = self.runtime.broker.now
        credentials = Credentials(account_id=account_id, token="paper")
        await onboarding.connect_broker(self.web, user_id, credentials, now, "local")
        for chat_id in list(chat_ids)[:2]:
            await onboarding.follow(self.web, user_id, chat_id, {}, now, "local")
        settings = TradeSettings.model_validate({"max_signal_age_s": 300})
        await onboarding.save_settings(self.web, user_id, settings, now, "local")
        await onboarding.set_running(self.web, user_id, True, now, "local")

    def player(self, events: Sequence[ReplayEvent], pace_s: float, user_id: str) -> Awaitable[int]:
        """Return the replay task: it starts once `user_id` pressed Start."""
        start = events[0].at
        owners = {account: user_id for account in ("paper-demo",)}
        self.pipeline = LocalPipeline(
            self.runtime.deps, self.runtime.queue, self.runtime.broker, owners, start
        )

        async def started() -> None:
            with self.changes.listen(user_id) as notices:  # listen first: no Start is missed
                while not await self._active(user_id):
                    await notices.get()

        def notify() -> None:
            self.changes.notify(None, "trades", "log", "usage", "account", "profile")

        return play(events, self.pipeline, pace_s=pace_s, started=started(), notify=notify)

    async def _active(self, user_id: str) -> bool:
        user = await self.runtime.store.get_user(user_id)
        return bool(user and user.active)


def hosting_headers() -> list[tuple[bytes, bytes]]:
    """Return the headers firebase.json gives every hosted file (one source for both modes)."""
    config = json.loads(FIREBASE_JSON.read_text(encoding="utf-8"))
    for rule in config["hosting"].get("headers", []):
        if rule.get("source") == "**":
            return [(h["key"].lower().encode(), h["value"].encode()) for h in rule["headers"]]
    return []


class HostingHeaders:
    """Add the hosting headers to every response that does not set them itself."""

    def __init__(self, app: Starlette, headers: list[tuple[bytes, bytes]]) -> None:
        self.app, self._headers = app, headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self._headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
