"""Trade records: one per intent, found by signal, by broker clientId and by due time."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from signal_copier.core.records import TradeRecord
from signal_copier.store import dump_json, encode
from signal_copier.store.sqlite.db import SqliteDatabase, dump, load, micros, stamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS trades (user_id TEXT NOT NULL, intent_id TEXT NOT NULL,
  signal_ref TEXT NOT NULL, record TEXT NOT NULL, recorded_at TEXT NOT NULL,
  client_id TEXT NOT NULL, due_at INTEGER, UNIQUE (user_id, intent_id));
CREATE INDEX IF NOT EXISTS trades_by_signal ON trades (user_id, signal_ref);
CREATE INDEX IF NOT EXISTS trades_by_client ON trades (user_id, client_id);
CREATE INDEX IF NOT EXISTS trades_by_due ON trades (due_at) WHERE due_at IS NOT NULL;
"""
UPSERT_TRADE = (
    "INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, intent_id) DO UPDATE SET signal_ref = excluded.signal_ref, "
    "record = excluded.record, recorded_at = excluded.recorded_at, due_at = excluded.due_at"
)


class TradeTables(SqliteDatabase):
    """Trade records (the claims module stores them too, inside `finish`)."""

    SCHEMA = _SCHEMA

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace one intent's record (keeping its first insertion order)."""
        row = trade_row(record)
        self._write(UPSERT_TRADE, row)
        self._written((TradeRecord, row[3]), record)

    async def update_trade(
        self, user_id: str, intent_id: str, change: Callable[[TradeRecord], TradeRecord]
    ) -> TradeRecord | None:
        """Read, change and write one intent's record in one transaction; None if it has none."""
        sql = "SELECT record FROM trades WHERE user_id = ? AND intent_id = ?"
        with self._transaction() as con:
            row = con.execute(sql, (user_id, intent_id)).fetchone()
            if row is None:
                return None
            changed = change(load(TradeRecord, row[0], "trades"))
            written = trade_row(changed)
            con.execute(UPSERT_TRADE, written)
        self._written((TradeRecord, written[3]), changed)
        return changed

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        sql = "SELECT record FROM trades WHERE user_id = ? AND intent_id = ?"
        rows = self._rows(sql, (user_id, intent_id))
        return self._record(TradeRecord, rows[0][0], "trades") if rows else None

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's records by recorded_at then insertion; only one signal's if given."""
        sql, params = "SELECT record FROM trades WHERE user_id = ?", [user_id]
        if signal_ref is not None:
            sql, params = f"{sql} AND signal_ref = ?", [user_id, signal_ref]
        rows = self._rows(f"{sql} ORDER BY recorded_at, rowid", params)
        return [self._record(TradeRecord, row[0], "trades") for row in rows]

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        wanted = sorted(set(client_ids))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT record FROM trades WHERE user_id = ? AND client_id IN ({marks})"
        rows = self._rows(f"{sql} ORDER BY recorded_at, rowid", [user_id, *wanted])
        return [self._record(TradeRecord, row[0], "trades") for row in rows]

    async def trades_due(self, now: datetime, limit: int) -> list[TradeRecord]:
        """Return records whose due time is at or before `now`, earliest first."""
        sql = "SELECT record FROM trades WHERE due_at IS NOT NULL AND due_at <= ?"
        rows = self._rows(f"{sql} ORDER BY due_at, rowid LIMIT ?", (micros(now), limit))
        return [self._record(TradeRecord, row[0], "trades") for row in rows]


def trade_row(
    record: TradeRecord, intent_text: str | None = None
) -> tuple[str, str, str, str, str, str, int | None]:
    """Return a record as the row UPSERT_TRADE writes.

    `intent_text` is its intent's stored text when it was just encoded (by the claim).
    """
    when = "" if record.recorded_at is None else stamp(record.recorded_at)
    due = None if record.due_at is None else micros(record.due_at)
    intent = record.intent
    text = dump(record) if intent_text is None else _with_intent(record, intent_text)
    return (intent.user_id, intent.id, record.signal_ref, text, when, intent.client_id, due)


_HEAD = '{"intent":0,'


def _with_intent(record: TradeRecord, intent_text: str) -> str:
    # dump(record), byte for byte, without encoding the intent's JSON again: the intent is the
    # record's first field, and its text is what the same encoder wrote for it.
    data = encode(record)
    data["intent"] = 0
    text = dump_json(data)
    if not text.startswith(_HEAD):  # the fields were reordered: encode it all
        return dump(record)
    return '{"intent":' + intent_text + "," + text[len(_HEAD) :]
