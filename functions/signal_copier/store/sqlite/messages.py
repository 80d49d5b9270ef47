"""Message versions: one row per (chat, message, version); the history step is one transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import MessageBuilder
from signal_copier.core.records import MessageRecord, Remembered
from signal_copier.store import decode, load_json
from signal_copier.store.sqlite.db import MAX_INT, SqliteDatabase, dump, micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (key TEXT PRIMARY KEY, chat_id TEXT NOT NULL,
  message_id INTEGER NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
  fanned_out INTEGER NOT NULL, wait_until INTEGER);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (chat_id, message_id, version);
CREATE INDEX IF NOT EXISTS messages_waiting ON messages (wait_until)
  WHERE wait_until IS NOT NULL;
"""
_COLUMNS = "SELECT record, fanned_out FROM messages"
FANNING = 256  # versions remembered here whose fan-out count is not marked yet, at most


class MessageTables(SqliteDatabase):
    """Message versions and the history step."""

    SCHEMA = _SCHEMA

    def __init__(self, path: str, **options: float) -> None:
        self._fanning: dict[str, tuple[str, MessageRecord]] = {}  # key → (text, record)
        super().__init__(path, **options)

    async def remember_message(
        self, chat_id: str, message_id: int, version: int, build: MessageBuilder
    ) -> Remembered:
        """Read a message's versions and store what `build` returns, in one transaction."""
        key = ids.message_key(chat_id, message_id, version)
        with self._transaction() as con:
            sql = f"{_COLUMNS} WHERE chat_id = ? AND message_id = ? ORDER BY version"
            rows = con.execute(sql, (chat_id, message_id)).fetchall()
            where = f"messages/{chat_id}:{message_id}"
            history = tuple(self._message(row, where) for row in rows)
            record = build(history)
            if record is None:
                existing = next((h for h in history if h.version == version), None)
                return Remembered(record=existing, history=history, fresh=False)
            if record.key != key:
                raise InvalidInput(f"the builder of {key} returned a record for {record.key}")
            wait = None if record.wait_until is None else micros(record.wait_until)
            text = dump(record)
            row = (key, chat_id, message_id, version, text, record.fanned_out, wait)
            con.execute("INSERT OR REPLACE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)", row)
        self._written_message(key, text, record)
        return Remembered(record=record, history=history, fresh=True)

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Record how many intents a message fanned out to (no-op for an unknown key)."""
        self._write("UPDATE messages SET fanned_out = ? WHERE key = ?", (intents, key))
        with self._decoded_lock:
            fresh = self._fanning.pop(key, None)
        if fresh is not None:  # what a row holding this text and count decodes to
            text, record = fresh
            self._written((MessageRecord, text, intents), replace(record, fanned_out=intents))

    def _written_message(self, key: str, text: str, record: MessageRecord) -> None:
        # Kept as its text's decoding, and until its fan-out is marked (the reads that follow
        # see the new count): a key holds the text and the count, so it never goes stale.
        self._written((MessageRecord, text, record.fanned_out), record)
        with self._decoded_lock:
            self._fanning[key] = (text, record)
            if len(self._fanning) > FANNING:
                del self._fanning[next(iter(self._fanning))]

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        rows = self._rows(f"{_COLUMNS} WHERE key = ?", (key,))
        return self._message(rows[0], f"messages/{key}") if rows else None

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the highest stored version of a message, or the highest below `before`."""
        sql = f"{_COLUMNS} WHERE chat_id = ? AND message_id = ? AND version < ?"
        params = (chat_id, message_id, MAX_INT if before is None else before)
        rows = self._rows(f"{sql} ORDER BY version DESC LIMIT 1", params)
        return self._message(rows[0], "messages") if rows else None

    async def waiting_messages(self, due: datetime, limit: int) -> list[MessageRecord]:
        """Return versions waiting for their original whose wait ends at or before `due`."""
        sql = f"{_COLUMNS} WHERE wait_until IS NOT NULL AND wait_until <= ?"
        rows = self._rows(f"{sql} ORDER BY wait_until LIMIT ?", (micros(due), limit))
        return [self._message(row, "messages") for row in rows]

    async def messages_up_to(self, chat_id: str, last: int, limit: int) -> list[MessageRecord]:
        """Return versions of the chat's messages up to `last`, newest first, at most `limit`."""
        sql = f"{_COLUMNS} WHERE chat_id = ? AND message_id <= ?"
        order = "ORDER BY message_id DESC, version DESC LIMIT ?"
        rows = self._rows(f"{sql} {order}", (chat_id, last, max(limit, 0)))
        return [self._message(row, "messages") for row in rows]

    def _message(self, row: tuple[str, int], where: str) -> MessageRecord:
        text, fanned_out = row
        # The fan-out count lives in its own column (set after the record is written): it is
        # decoded in place of the one in the text (a copy of the record afterwards costs more).
        return self._memo(
            (MessageRecord, text, fanned_out), lambda: decoded(text, fanned_out, where)
        )


def decoded(text: str, fanned_out: int, where: str) -> MessageRecord:
    """Return the version a row holds: its record's text, with the row's fan-out count."""
    data = load_json(text, where)
    if isinstance(data, dict):  # anything else: decode says what is wrong with it
        data["fanned_out"] = fanned_out
    return decode(MessageRecord, data, where)
