"""A MetaApiBroker over the fake SDK, with paper accounts behind it and a hand-driven clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from builders import NOW
from fakes.metaapi import FakeSdk
from fakes.mt5 import Mt5Server
from signal_copier.broker.metaapi import Limits, MetaApiAccount, MetaApiBroker
from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.market import Credentials

TOKEN = "metaapi-token-0123456789abcdef"
USER = "tg1"


@dataclass
class Rig:
    """The adapter, the fake SDK it calls and the paper account that answers."""

    paper: PaperBroker
    server: Mt5Server
    sdk: FakeSdk
    broker: MetaApiBroker
    paper_account: PaperAccount
    ticks: list[float] = field(default_factory=lambda: [0.0])

    def credentials(self, token: str = TOKEN, account_id: str = "acc-1") -> Credentials:
        """Return credentials for an account."""
        return Credentials(account_id=account_id, token=token)

    async def connect(self, credentials: Credentials, user_id: str = USER) -> MetaApiAccount:
        """Return the adapter's account for a user's credentials."""
        account = await self.broker.connect(user_id, credentials)
        assert isinstance(account, MetaApiAccount)
        return account

    async def account(self, token: str = TOKEN, user_id: str = USER) -> MetaApiAccount:
        """Return the adapter's account for acc-1."""
        return await self.connect(self.credentials(token), user_id)

    def wait(self, seconds: float) -> None:
        """Move the adapter's monotonic clock (idle expiry, caches)."""
        self.ticks[0] += seconds


def make_rig(limits: Limits | None = None) -> Rig:
    """Return a rig with acc-1 (10,000 USD) and acc-2 opened on the paper broker."""
    paper = PaperBroker(now=NOW)
    account = paper.open_account("acc-1", balance=Decimal(10_000))
    paper.open_account("acc-2", balance=Decimal(10_000))
    server = Mt5Server(paper)
    sdk = FakeSdk(server)
    ticks = [0.0]
    broker = MetaApiBroker(
        sdk=sdk,
        limits=limits or Limits(read=0.1, trade=0.1, connect=0.1, close_grace=0),
        now=lambda: paper.now,
        monotonic=lambda: ticks[0],
    )
    return Rig(paper, server, sdk, broker, account, ticks)
