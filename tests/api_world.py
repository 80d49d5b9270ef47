"""The API over a local deployment: real SQLite, vault and paper broker; tokens from LocalAuth."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from builders import NOW
from signal_copier.api import ApiPorts, Limits, create_app
from signal_copier.auth.local import LocalAuth
from signal_copier.broker.paper import PaperBroker
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.market import AccountInfo, Credentials, MarginMode
from signal_copier.core.ports import BrokerAccount
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import Deps
from signal_copier.services.webdeps import WebDeps
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.offline import OfflineTelegramLogin
from signal_copier.vault.local import LocalVault

CHATS = ("-1001", "-1002", "-1003")


class NettingAccount:
    """A paper account that reports netting, as an MT5 netting account would (paper is hedging)."""

    def __init__(self, account: BrokerAccount) -> None:
        self._account = account

    def __getattr__(self, name: str) -> Any:
        return getattr(self._account, name)

    async def account_info(self) -> AccountInfo:
        return replace(await self._account.account_info(), margin_mode=MarginMode.NETTING)


class Brokers:
    """The paper broker, with accounts whose id starts with 'net-' reporting netting."""

    def __init__(self, paper: PaperBroker) -> None:
        self.paper = paper

    async def connect(self, user_id: str, credentials: Credentials) -> BrokerAccount:
        account = await self.paper.connect(user_id, credentials)
        return NettingAccount(account) if credentials.account_id.startswith("net-") else account

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        await self.paper.disconnect(user_id, keep=keep)


class ApiWorld:
    """Two users' worth of local deployment behind the API app."""

    def __init__(self, folder: Path, limits: Limits | None = None) -> None:
        self.store = SqliteStore(":memory:")
        self.paper = PaperBroker(now=NOW)
        for account in ("acc-a", "acc-b", "net-c"):
            self.paper.open_account(account, balance=Decimal(10_000))
        self.vault = LocalVault(folder / "vault.key", folder / "secrets")
        deps = Deps(
            store=self.store, queue=InProcessQueue(), vault=self.vault, broker=Brokers(self.paper)
        )
        self.telegram = OfflineTelegramLogin(code="24680", password="s3cret-2fa")
        self.auth = LocalAuth()
        self.ports = ApiPorts(
            web=WebDeps(deps=deps, web=self.store, fleet=self.store, telegram=self.telegram),
            auth=self.auth,
            clock=lambda: NOW,
            limits=limits or Limits(),
        )
        self.app = create_app(self.ports)

    async def token(self, user_id: str) -> str:
        for chat in CHATS:
            await self.store.put_user_chat(user_id, ChatInfo(chat_id=chat, title=f"Chat {chat}"))
        return await self.auth.mint(user_id, {})

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        with TestClient(self.app, raise_server_exceptions=False) as client:
            yield client
