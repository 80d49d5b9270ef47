"""Trade records: one per intent, found by signal, by broker clientId and by due time.

    users/{uid}/trades/{intentId}   TradeRecord fields + client_id + seq

`seq` orders records of the same `recorded_at` (and `due_at`) by first save, as SQLite's rowid
does: taken from a clock that is strictly increasing within this process at the record's first
save, and kept by every later save (records saved in the same microsecond by two instances
are ordered by their clocks).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from google.cloud.firestore_v1.async_document import AsyncDocumentReference
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core.records import TradeRecord
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import doc_id, record_of, to_native
from signal_copier.store.firestore.schema import (
    SIGNAL_TRADES_OLDEST_FIRST,
    TRADES_DUE,
    TRADES_OLDEST_FIRST,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class TradeCollections(FirestoreClient):
    """Trade records of the `Store` port (claims store them too, when an intent finishes)."""

    _seq = 0

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace one intent's record (keeping its place among records saved at once)."""
        ref, data = self.trade_ref(record), self.trade_data(record)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            return None, [trade_write(ref, snaps[0], data)]

        await self.transact([ref], decide)

    async def update_trade(
        self, user_id: str, intent_id: str, change: Callable[[TradeRecord], TradeRecord]
    ) -> TradeRecord | None:
        """Read, change and write one intent's record in one transaction; None if it has none."""
        ref = self.doc("users", user_id, "trades", intent_id)

        def decide(snaps: list[Snapshot]) -> tuple[TradeRecord | None, list[Write]]:
            if not snaps[0].exists:
                return None, []
            changed = change(_trade(snaps[0]))
            return changed, [trade_write(ref, snaps[0], self.trade_data(changed))]

        return await self.transact([ref], decide)

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        snap = await self.get(self.doc("users", user_id, "trades", intent_id))
        return _trade(snap) if snap.exists else None

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's records by recorded_at then first save; only one signal's if given."""
        trades = self.db.collection("users", doc_id(user_id), "trades")
        query = (
            TRADES_OLDEST_FIRST.build(trades)
            if signal_ref is None
            else SIGNAL_TRADES_OLDEST_FIRST.build(trades, signal_ref)
        )
        return [_trade(s) for s in await self.every(query, "trades")]

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        trades = self.db.collection("users", doc_id(user_id), "trades")
        found = await self.chunked_in(trades, "client_id", client_ids, "trades")
        records = [(_trade(s), seq_of(s) or 0, s.id) for s in found]
        records.sort(
            key=lambda r: (r[0].recorded_at or EPOCH, r[0].recorded_at is not None, *r[1:])
        )
        return [record for record, *_ in records]

    async def trades_due(self, now: datetime, limit: int) -> list[TradeRecord]:
        """Return records (any user's) whose due time is at or before `now`, earliest first."""
        if limit < 1:
            return []
        query = TRADES_DUE.build(self.db.collection_group("trades"))
        query = query.where(filter=FieldFilter("due_at", "<=", to_native(now)))
        return [_trade(s) for s in await self.first(query.limit(limit), "trades")]

    def trade_ref(self, record: TradeRecord) -> AsyncDocumentReference:
        """Return the document of a record."""
        return self.doc("users", record.intent.user_id, "trades", record.intent.id)

    def trade_data(self, record: TradeRecord) -> dict[str, Any]:
        """Return a record's document, with a new `seq` (kept instead if it is stored)."""
        data: dict[str, Any] = to_native(record)
        self._seq = max(self._seq + 1, time.time_ns())
        data.update(client_id=record.intent.client_id, seq=self._seq)
        return data


def trade_write(ref: AsyncDocumentReference, existing: Snapshot, data: dict[str, Any]) -> Write:
    """Return the write of a record's document that keeps the stored `seq`."""
    kept = seq_of(existing) if existing.exists else None
    return Write(ref, data if kept is None else {**data, "seq": kept})


def seq_of(snap: Snapshot) -> int | None:
    """Return a stored record's `seq` (None if it has none)."""
    seq = (snap.to_dict() or {}).get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _trade(snap: Snapshot) -> TradeRecord:
    return record_of(TradeRecord, snap.to_dict(), snap.reference.path)
