"""The pipeline's tables: users, subscriptions, message versions, intent claims, usage, trades."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from signal_copier.core.errors import InvalidInput
from signal_copier.core.records import (
    Claim,
    ClaimState,
    MessageRecord,
    Subscription,
    TradeRecord,
    Usage,
    UserRecord,
)
from signal_copier.store import decode, dump_json, encode, load_json
from signal_copier.store.sqlite.db import MAX_INT, SqliteDatabase, dump, load, micros, stamp

_HELD = "SELECT 1 FROM reservations WHERE user_id=? AND period=? AND intent_id=? AND kind=?"
_BUMP = {  # usage counters, by reservation kind
    "used": "UPDATE usage SET used = used + ? WHERE user_id = ? AND period = ?",
    "missed": "UPDATE usage SET missed = missed + ? WHERE user_id = ? AND period = ?",
}


_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (user_id TEXT NOT NULL, chat_id TEXT NOT NULL,
  overrides TEXT NOT NULL, PRIMARY KEY (user_id, chat_id));
CREATE INDEX IF NOT EXISTS subscriptions_by_chat ON subscriptions (chat_id, user_id);
CREATE TABLE IF NOT EXISTS messages (key TEXT PRIMARY KEY, chat_id TEXT NOT NULL,
  message_id INTEGER NOT NULL, version INTEGER NOT NULL, record TEXT NOT NULL,
  fanned_out INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_id ON messages (chat_id, message_id, version);
CREATE TABLE IF NOT EXISTS intents (intent_id TEXT PRIMARY KEY, owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_flight', 'done')), attempt INTEGER NOT NULL,
  lease_until INTEGER NOT NULL, finished_at INTEGER);
CREATE TABLE IF NOT EXISTS usage (user_id TEXT NOT NULL, period TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, missed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, period));
CREATE TABLE IF NOT EXISTS reservations (user_id TEXT NOT NULL, period TEXT NOT NULL,
  intent_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('used', 'missed')),
  PRIMARY KEY (user_id, period, intent_id, kind),
  FOREIGN KEY (user_id, period) REFERENCES usage (user_id, period));
CREATE TABLE IF NOT EXISTS trades (user_id TEXT NOT NULL, intent_id TEXT NOT NULL,
  signal_ref TEXT NOT NULL, record TEXT NOT NULL, recorded_at TEXT NOT NULL,
  client_id TEXT NOT NULL, UNIQUE (user_id, intent_id));
CREATE INDEX IF NOT EXISTS trades_by_signal ON trades (user_id, signal_ref);
CREATE INDEX IF NOT EXISTS trades_by_client ON trades (user_id, client_id);
"""


class PipelineTables(SqliteDatabase):
    """The `Store` port: every atomic method is one BEGIN IMMEDIATE transaction."""

    SCHEMA = _SCHEMA

    async def remember_message(self, record: MessageRecord) -> bool:
        """Store a message version; return False if its key was already stored."""
        fields = (record.key, record.chat_id, record.message_id, record.version)
        row = (*fields, dump(record), record.fanned_out)
        return self._write("INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?)", row) == 1

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Record how many intents a message fanned out to (no-op for an unknown key)."""
        self._write("UPDATE messages SET fanned_out = ? WHERE key = ?", (intents, key))

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        rows = self._rows("SELECT record, fanned_out FROM messages WHERE key = ?", (key,))
        return _message(rows[0], f"messages/{key}") if rows else None

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the highest stored version of a message, or the highest below `before`."""
        sql = "SELECT record, fanned_out FROM messages WHERE chat_id = ? AND message_id = ?"
        params = (chat_id, message_id, MAX_INT if before is None else before)
        rows = self._rows(f"{sql} AND version < ? ORDER BY version DESC LIMIT 1", params)
        return _message(rows[0], "messages") if rows else None

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id."""
        sql = "SELECT user_id, chat_id, overrides FROM subscriptions WHERE chat_id = ?"
        return [_subscription(row) for row in self._rows(f"{sql} ORDER BY user_id", (chat_id,))]

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        sql = "SELECT user_id, chat_id, overrides FROM subscriptions WHERE user_id = ?"
        return [_subscription(row) for row in self._rows(f"{sql} ORDER BY chat_id", (user_id,))]

    async def put_subscription(self, subscription: Subscription) -> None:
        """Create or replace a subscription."""
        overrides = dump_json(encode(subscription)["overrides"])
        row = (subscription.user_id, subscription.chat_id, overrides)
        self._write("INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?)", row)

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed)."""
        sql = "DELETE FROM subscriptions WHERE user_id = ? AND chat_id = ?"
        self._write(sql, (user_id, chat_id))

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        return self._one(
            UserRecord, "SELECT record FROM users WHERE user_id = ?", (user_id,), "users"
        )

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user."""
        self._write("INSERT OR REPLACE INTO users VALUES (?, ?)", (user.user_id, dump(user)))

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Read, change and write a user in one transaction; None if there is no such user."""
        with self._transaction() as con:
            row = con.execute("SELECT record FROM users WHERE user_id = ?", (user_id,)).fetchone()
            if row is None:
                return None
            changed = change(load(UserRecord, row[0], "users"))
            con.execute("UPDATE users SET record = ? WHERE user_id = ?", (dump(changed), user_id))
            return changed

    async def claim(self, intent_id: str, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Claim an intent until now + lease; a live lease is BUSY whoever asks."""
        if lease <= timedelta(0):
            raise InvalidInput(f"lease must be positive, got {lease}")
        now_us, until_us = micros(now), micros(now + lease)
        with self._transaction() as con:
            sql = "SELECT state, attempt, lease_until FROM intents WHERE intent_id = ?"
            row = con.execute(sql, (intent_id,)).fetchone()
            if row is None:
                sql = "INSERT INTO intents VALUES (?, ?, 'in_flight', 1, ?, NULL)"
                con.execute(sql, (intent_id, owner, until_us))
                return Claim(state=ClaimState.NEW, attempt=1)
            state, attempt, lease_until = row
            if state == "done":
                return Claim(state=ClaimState.DONE, attempt=attempt)
            if lease_until > now_us:
                return Claim(state=ClaimState.BUSY, attempt=attempt)
            sql = "UPDATE intents SET owner = ?, attempt = ?, lease_until = ? WHERE intent_id = ?"
            con.execute(sql, (owner, attempt + 1, until_us, intent_id))
            return Claim(state=ClaimState.RETRY, attempt=attempt + 1)

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> None:
        """Mark an intent done and store its record, if `owner` holds its claim; else nothing."""
        sql = "UPDATE intents SET state = 'done', finished_at = ? WHERE intent_id = ? AND owner = ?"
        with self._transaction() as con:
            done = con.execute(f"{sql} AND state = 'in_flight'", (micros(now), intent_id, owner))
            if done.rowcount and record is not None:
                con.execute(_UPSERT_TRADE, _trade_row(record))

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End `owner`'s lease now so the next claim is a RETRY; change nothing otherwise."""
        sql = "UPDATE intents SET owner = '', lease_until = 0 WHERE intent_id = ? AND owner = ?"
        self._write(f"{sql} AND state = 'in_flight'", (intent_id, owner))

    async def reserve_quota(
        self, user_id: str, period: str, intent_id: str, limit: int | None
    ) -> bool:
        """Take one trade of the period for an intent (idempotent); False if the period is full."""
        with self._transaction() as con:
            key = (user_id, period, intent_id)
            if con.execute(_HELD, (*key, "used")).fetchone() is not None:
                return True
            sql = "SELECT used FROM usage WHERE user_id = ? AND period = ?"
            row = con.execute(sql, (user_id, period)).fetchone()
            if limit is not None and (row[0] if row else 0) >= limit:
                return False
            _count(con, *key, "used")
            return True

    async def release_quota(self, user_id: str, period: str, intent_id: str) -> None:
        """Give back an intent's reservation (idempotent)."""
        with self._transaction() as con:
            sql = "DELETE FROM reservations WHERE user_id=? AND period=? AND intent_id=? AND kind=?"
            if con.execute(sql, (user_id, period, intent_id, "used")).rowcount:
                con.execute(_BUMP["used"], (-1, user_id, period))

    async def record_missed(self, user_id: str, period: str, intent_id: str) -> None:
        """Count an intent as missed for quota, once."""
        with self._transaction() as con:
            _count(con, user_id, period, intent_id, "missed")

    async def usage(self, user_id: str, period: str) -> Usage:
        """Return trades used and missed in a period (zeros when none)."""
        sql = "SELECT used, missed FROM usage WHERE user_id = ? AND period = ?"
        rows = self._rows(sql, (user_id, period))
        used, missed = rows[0] if rows else (0, 0)
        return Usage(period=period, used=used, missed=missed)

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace one intent's record (keeping its first insertion order)."""
        self._write(_UPSERT_TRADE, _trade_row(record))

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        sql = "SELECT record FROM trades WHERE user_id = ? AND intent_id = ?"
        return self._one(TradeRecord, sql, (user_id, intent_id), "trades")

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's records by recorded_at then insertion; only one signal's if given."""
        sql, params = "SELECT record FROM trades WHERE user_id = ?", [user_id]
        if signal_ref is not None:
            sql, params = f"{sql} AND signal_ref = ?", [user_id, signal_ref]
        rows = self._rows(f"{sql} ORDER BY recorded_at, rowid", params)
        return [load(TradeRecord, row[0], "trades") for row in rows]

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        wanted = sorted(set(client_ids))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT record FROM trades WHERE user_id = ? AND client_id IN ({marks})"
        rows = self._rows(f"{sql} ORDER BY recorded_at, rowid", [user_id, *wanted])
        return [load(TradeRecord, row[0], "trades") for row in rows]


def _count(con: sqlite3.Connection, user_id: str, period: str, intent_id: str, kind: str) -> None:
    # One reservation row per (intent, kind) makes every counter idempotent per intent.
    con.execute("INSERT OR IGNORE INTO usage (user_id, period) VALUES (?, ?)", (user_id, period))
    sql = "INSERT OR IGNORE INTO reservations VALUES (?, ?, ?, ?)"
    if con.execute(sql, (user_id, period, intent_id, kind)).rowcount:
        con.execute(_BUMP[kind], (1, user_id, period))


_UPSERT_TRADE = (
    "INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (user_id, intent_id) DO UPDATE SET signal_ref = excluded.signal_ref, "
    "record = excluded.record, recorded_at = excluded.recorded_at"
)


def _trade_row(record: TradeRecord) -> tuple[str, str, str, str, str, str]:
    when = "" if record.recorded_at is None else stamp(record.recorded_at)
    intent = record.intent
    return (intent.user_id, intent.id, record.signal_ref, dump(record), when, intent.client_id)


def _message(row: tuple[str, int], where: str) -> MessageRecord:
    return replace(load(MessageRecord, row[0], where), fanned_out=row[1])


def _subscription(row: tuple[str, str, str]) -> Subscription:
    user_id, chat_id, overrides = row
    where = f"subscriptions/{chat_id}/{user_id}"
    data = {"user_id": user_id, "chat_id": chat_id, "overrides": load_json(overrides, where)}
    return decode(Subscription, data, where)
