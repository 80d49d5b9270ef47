"""Daily quota (used / missed per intent, idempotent); what openings hold is in `openings`."""

from __future__ import annotations

import sqlite3

from signal_copier.core.records import Usage
from signal_copier.store.sqlite.db import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS usage (user_id TEXT NOT NULL, period TEXT NOT NULL,
  used INTEGER NOT NULL DEFAULT 0, missed INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, period));
CREATE TABLE IF NOT EXISTS reservations (user_id TEXT NOT NULL, period TEXT NOT NULL,
  intent_id TEXT NOT NULL, kind TEXT NOT NULL CHECK (kind IN ('used', 'missed')),
  PRIMARY KEY (user_id, period, intent_id, kind),
  FOREIGN KEY (user_id, period) REFERENCES usage (user_id, period));
"""
_HELD = "SELECT 1 FROM reservations WHERE user_id=? AND period=? AND intent_id=? AND kind=?"
_HELD_AND_USED = (
    "SELECT EXISTS (SELECT 1 FROM reservations WHERE user_id = ? AND period = ? AND intent_id = ?"
    " AND kind = 'used'), (SELECT used FROM usage WHERE user_id = ? AND period = ?)"
)
_USE_ONE = (
    "INSERT INTO usage (user_id, period, used) VALUES (?, ?, 1)"
    " ON CONFLICT (user_id, period) DO UPDATE SET used = used + 1"
)
_BUMP = {  # usage counters, by reservation kind
    "used": "UPDATE usage SET used = used + ? WHERE user_id = ? AND period = ?",
    "missed": "UPDATE usage SET missed = missed + ? WHERE user_id = ? AND period = ?",
}


class UsageTables(SqliteDatabase):
    """The daily quota; every change is one transaction."""

    SCHEMA = _SCHEMA

    async def reserve_quota(
        self, user_id: str, period: str, intent_id: str, limit: int | None
    ) -> bool:
        """Take one trade of the period for an intent (idempotent); False if the period is full."""
        with self._transaction() as con:
            params = (user_id, period, intent_id, user_id, period)
            held, used = con.execute(_HELD_AND_USED, params).fetchone()
            if held:
                return True
            if limit is not None and (used or 0) >= limit:
                return False
            # Not held (read just now, in this transaction): count it and note the holder.
            con.execute(_USE_ONE, (user_id, period))
            con.execute(
                "INSERT INTO reservations VALUES (?, ?, ?, 'used')", (user_id, period, intent_id)
            )
            return True

    async def release_quota(self, user_id: str, period: str, intent_id: str) -> None:
        """Give back an intent's reservation (idempotent)."""
        if not self._rows(_HELD, (user_id, period, intent_id, "used")):
            return  # nothing held: a read, not a write transaction (the same outcome)
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


def _count(con: sqlite3.Connection, user_id: str, period: str, intent_id: str, kind: str) -> None:
    # One reservation row per (intent, kind) makes every counter idempotent per intent.
    con.execute("INSERT OR IGNORE INTO usage (user_id, period) VALUES (?, ?)", (user_id, period))
    sql = "INSERT OR IGNORE INTO reservations VALUES (?, ?, ?, ?)"
    if con.execute(sql, (user_id, period, intent_id, kind)).rowcount:
        con.execute(_BUMP[kind], (1, user_id, period))
