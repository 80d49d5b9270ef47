"""A whole local deployment for scenario tests: real local adapters, a simulated clock.

The stores behind it come from `World.stores` (SQLite in memory unless a test's fixture chose
the Firestore store on the emulator: tests/integration/conftest.py), so one scenario can run on
either store and must end the same.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, cast

from builders import NOW
from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.market import Credentials
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.core.ports import Store
from signal_copier.core.records import MessageRecord, Plan, TradeRecord
from signal_copier.deferred import StoreClient
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts
from signal_copier.services.deps import Deps, Timing
from signal_copier.services.local import LocalPipeline
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.firestore.fleet import FirestoreFleetStore
from signal_copier.store.firestore.web import FirestoreWebStore
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.local import LocalVault


@dataclass(frozen=True, slots=True, kw_only=True)
class Stores:
    """One deployment's stores: the pipeline's `Store`, the dashboard's and the fleet's."""

    store: Store
    web: Any
    fleet: Any


def sqlite_stores() -> Stores:
    """Return one in-memory SQLite store serving all three roles (as the local process does)."""
    store = SqliteStore(":memory:")
    return Stores(store=store, web=store, fleet=store)


def firestore_stores(project: str, *, page_size: int = 7) -> Stores:
    """Return the cloud's stores on one Firestore database (a small page: listings cross pages)."""
    store = FirestoreStore(project, page_size=page_size)
    client = cast(Any, StoreClient(store))  # as bootstrap shares the store's client
    return Stores(
        store=store,
        web=FirestoreWebStore(client),
        fleet=FirestoreFleetStore(client),
    )


class World:
    """Users, a channel, a paper broker and the pipeline between them."""

    stores: ClassVar[Callable[[], Stores]] = staticmethod(sqlite_stores)

    def __init__(
        self,
        folder: Path,
        *,
        wrap: Callable[[PaperBroker], Any] | None = None,
        wrap_store: Callable[[Store], Any] | None = None,
        poll_deals: bool = False,
        timing: Timing | None = None,
        stores: Callable[[], Stores] | None = None,
        **queue: Any,
    ) -> None:
        self.now = NOW
        made = (stores or type(self).stores)()
        self.base, self.web, self.fleet = made.store, made.web, made.fleet
        self.store = wrap_store(self.base) if wrap_store else self.base
        self.queue = InProcessQueue(**queue)
        self.paper = PaperBroker(now=NOW)
        self.vault = LocalVault(folder / "vault.key", folder / "secrets")
        self.broker = wrap(self.paper) if wrap else self.paper  # a test may wrap the paper broker
        self.deps = Deps(
            store=self.store,
            queue=self.queue,
            vault=self.vault,
            broker=self.broker,
            timing=timing or Timing(),
        )
        self.pipeline = LocalPipeline(
            self.deps, self.queue, self.paper, {}, NOW, poll_deals=poll_deals
        )
        self._last_id: dict[str, int] = {}  # per chat: what a listener would send as previous_id

    @property
    def sqlite(self) -> SqliteStore:
        """Return the SQLite store (only a world on SQLite has one: prefer `base`, `web`)."""
        if not isinstance(self.base, SqliteStore):
            raise TypeError(f"this world runs on {type(self.base).__name__}, not SQLite")
        return self.base

    async def add_user(
        self,
        user_id: str,
        *,
        plan: Plan = Plan.PREMIUM,
        chats: tuple[str, ...] = ("c1",),
        balance: str = "10000",
        suffix: str = "",
        connect: bool = True,
        **settings: Any,
    ) -> PaperAccount:
        """Register a user following `chats` with a paper account (unless connect=False)."""
        await accounts.register_user(
            self.deps, user_id, plan, {"max_signal_age_s": 120, **settings}
        )
        account = self.paper.open_account(
            f"acc-{user_id}", balance=Decimal(balance), symbol_suffix=suffix
        )
        self.pipeline.add_owner(f"acc-{user_id}", user_id)
        if connect:
            creds = Credentials(account_id=f"acc-{user_id}", token="t0ken-" + user_id)
            await accounts.save_credentials(self.deps, user_id, creds)
        for chat in chats:
            await accounts.follow_channel(self.deps, user_id, chat, now=self.now)
        return account

    def later(self, seconds: float = 60) -> datetime:
        """Advance the simulated clock."""
        self.now += timedelta(seconds=seconds)
        return self.now

    async def say(
        self,
        text: str,
        *,
        id: int,
        chat: str = "c1",
        reply_to: int | None = None,
        edited: bool = False,
        date: datetime | None = None,
    ) -> MessageRecord | None:
        """Post (or edit, with edited=True) a channel message now and run the pipeline."""
        message = self.post(text, id=id, chat=chat, reply_to=reply_to, edited=edited)
        if date is not None:
            message = replace(message, date=date)
        return await self.pipeline.message(message, message.received)

    def post(
        self,
        text: str,
        *,
        id: int,
        chat: str = "c1",
        reply_to: int | None = None,
        edited: bool = False,
    ) -> RawMessage:
        """Return a message as a listener would publish it now, without delivering it."""
        at = self.later(1)
        message = RawMessage(
            chat_id=chat,
            message_id=id,
            text=text,
            date=at,
            received=at,
            reply_to=reply_to,
            edit_date=at if edited else None,
            previous_id=None if edited else self._last_id.get(chat),
        )
        if not edited:
            self._last_id[chat] = id
        return message

    def deletion(self, *, id: int, chat: str = "c1") -> RawMessage:
        """Return the chat's deletion of a message as a listener would publish it now."""
        at = self.later(1)
        return RawMessage(
            chat_id=chat, message_id=id, text="", date=at, received=at, kind=MessageKind.DELETION
        )

    async def delete(self, *, id: int, chat: str = "c1") -> MessageRecord | None:
        """Delete a channel message now and run the pipeline."""
        message = self.deletion(id=id, chat=chat)
        return await self.pipeline.message(message, message.received)

    async def deliver(self, *messages: RawMessage) -> None:
        """Deliver messages in the given order (e.g. not the order they were posted in)."""
        for message in messages:
            await self.pipeline.message(message, self.later(0.1))

    async def settle(self, seconds: float = 121) -> None:
        """Let time pass and run the sweep (waits that were due end, parked follow-ups run)."""
        await self.pipeline.sweep(self.later(seconds), force=True)

    async def prices(self, **quotes: tuple[str, str]) -> None:
        """Move prices now (pending fills and SL/TP hits follow)."""
        at = self.later(1)
        await self.pipeline.quotes(
            {k: (Decimal(b), Decimal(a)) for k, (b, a) in quotes.items()}, at
        )

    async def records(self, user_id: str) -> list[TradeRecord]:
        """Return a user's trade records, oldest first."""
        return await self.store.trades(user_id)

    async def last(self, user_id: str) -> TradeRecord:
        """Return a user's newest trade record."""
        return (await self.records(user_id))[-1]
