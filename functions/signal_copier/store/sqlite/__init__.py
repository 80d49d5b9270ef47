"""SQLite store for local mode and tests: one WAL file laid out like the Firestore collections.

`SqliteStore` is the table groups together; each group (a mixin) lives in its own module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signal_copier.store.sqlite.claims import ClaimTables
from signal_copier.store.sqlite.fleet import FleetTables
from signal_copier.store.sqlite.messages import MessageTables
from signal_copier.store.sqlite.openings import OpeningTables
from signal_copier.store.sqlite.outbox import OutboxTables
from signal_copier.store.sqlite.trades import TradeTables
from signal_copier.store.sqlite.usage import UsageTables
from signal_copier.store.sqlite.users import UserTables
from signal_copier.store.sqlite.watches import WatchTables
from signal_copier.store.sqlite.web import WebTables

if TYPE_CHECKING:
    from signal_copier.core.ports import FleetStore, Store, WebStore


class SqliteStore(
    UserTables,
    MessageTables,
    ClaimTables,
    UsageTables,
    OpeningTables,
    TradeTables,
    WatchTables,
    WebTables,
    FleetTables,
    OutboxTables,
):
    """Every port the store serves, on one SQLite file."""

    async def __aenter__(self) -> SqliteStore:
        return self

    async def __aexit__(self, *_: object) -> None:
        self.close()


if TYPE_CHECKING:
    _conforms: Store = SqliteStore(":memory:")
    _serves_web: WebStore = SqliteStore(":memory:")
    _serves_fleet: FleetStore = SqliteStore(":memory:")
