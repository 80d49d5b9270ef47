"""The Store's trade records: what was done for each user and intent, and why."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from signal_copier.core.records import (
    TradeRecord,
)


class TradeStore(Protocol):
    """Trade records: saved, changed in one transaction, read by intent, signal or client id."""

    # Trade records.

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace the record of one intent's outcome."""
        ...

    async def update_trade(
        self, user_id: str, intent_id: str, change: Callable[[TradeRecord], TradeRecord]
    ) -> TradeRecord | None:
        """Read, change and write one intent's record in one transaction; None if it has none."""
        ...

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        ...

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's trade records, oldest first; only one signal's if `signal_ref`."""
        ...

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        ...

    async def trades_due(self, now: datetime, limit: int) -> list[TradeRecord]:
        """Return records whose `due_at` is at or before `now`, earliest first (any user)."""
        ...
