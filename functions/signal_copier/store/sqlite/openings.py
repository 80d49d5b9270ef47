"""What an opening holds while it places: an open-trade slot, and a netting account's symbol.

`opening_marks` counts each user's settled openings; `opening_settled` notes the mark at which an
opening holding a slot or a symbol settled. What it holds then counts, for an opening whose
account read began after it saw mark ≥ m, only through that read (see `LimitStore`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from datetime import datetime, timedelta

from signal_copier.core import ids
from signal_copier.store.sqlite.db import SqliteDatabase, micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS openings (user_id TEXT NOT NULL, intent_id TEXT NOT NULL,
  until INTEGER NOT NULL, PRIMARY KEY (user_id, intent_id));
CREATE TABLE IF NOT EXISTS opening_settled (user_id TEXT NOT NULL, intent_id TEXT NOT NULL,
  mark INTEGER NOT NULL, PRIMARY KEY (user_id, intent_id));
CREATE TABLE IF NOT EXISTS opening_marks (user_id TEXT PRIMARY KEY, mark INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS symbol_holds (user_id TEXT NOT NULL, intent_id TEXT NOT NULL,
  symbol TEXT NOT NULL, until INTEGER NOT NULL, PRIMARY KEY (user_id, intent_id));
"""
# A settlement goes with the last thing its opening held (expired or given back).
_ORPHANS = (
    "DELETE FROM opening_settled WHERE user_id = ?"
    " AND intent_id NOT IN (SELECT intent_id FROM openings WHERE user_id = ?)"
    " AND intent_id NOT IN (SELECT intent_id FROM symbol_holds WHERE user_id = ?)"
)
_HOLDS = (  # an opening holding a slot or a symbol, not settled yet
    "SELECT 1 FROM (SELECT intent_id FROM openings WHERE user_id = ?1"
    " UNION SELECT intent_id FROM symbol_holds WHERE user_id = ?1) h"
    " WHERE h.intent_id = ?2 AND NOT EXISTS"
    " (SELECT 1 FROM opening_settled s WHERE s.user_id = ?1 AND s.intent_id = h.intent_id)"
)
_MARK = "SELECT mark FROM opening_marks WHERE user_id = ?"


class OpeningTables(SqliteDatabase):
    """Open-trade slots and netting symbols; every change is one transaction."""

    SCHEMA = _SCHEMA

    async def opening_mark(self, user_id: str) -> int:
        """Return how many of the user's openings have settled (read before the account)."""
        rows = self._rows(_MARK, (user_id,))
        return int(rows[0][0]) if rows else 0

    async def reserve_opening(
        self,
        user_id: str,
        intent_id: str,
        limit: int,
        live: Collection[str],
        now: datetime,
        hold: timedelta,
        *,
        seen: int | None = None,
    ) -> bool:
        """Take an open-trade slot unless live trades and counted slots reach `limit`."""
        with self._transaction() as con:
            con.execute(
                "DELETE FROM openings WHERE user_id = ? AND until <= ?", (user_id, micros(now))
            )
            con.execute(_ORPHANS, (user_id, user_id, user_id))
            held = _held(con, user_id)
            if intent_id in held:
                return True
            # A slot settled at or before the mark read before the account read is counted by
            # that read (its trade is there if still open): it adds nothing here.
            counted = {h for h, mark in held.items() if seen is None or mark is None or mark > seen}
            if len(set(live) | {ids.client_id(h) for h in counted}) >= limit:
                return False
            row = (user_id, intent_id, micros(now + hold))
            con.execute("INSERT INTO openings VALUES (?, ?, ?)", row)
            return True

    async def settle_opening(self, user_id: str, intent_id: str) -> None:
        """Settle what an opening holds (its orders are on the account); nothing held: nothing."""
        if not self._rows(_HOLDS, (user_id, intent_id)):  # usually none: no write transaction
            return
        with self._transaction() as con:
            if not con.execute(_HOLDS, (user_id, intent_id)).fetchone():
                return
            con.execute(
                "INSERT INTO opening_marks VALUES (?, 1)"
                " ON CONFLICT (user_id) DO UPDATE SET mark = mark + 1",
                (user_id,),
            )
            (mark,) = con.execute(_MARK, (user_id,)).fetchone()
            con.execute("INSERT INTO opening_settled VALUES (?, ?, ?)", (user_id, intent_id, mark))

    async def release_opening(self, user_id: str, intent_id: str) -> None:
        """Give back an intent's open-trade slot."""
        await self._release("openings", user_id, intent_id)

    async def reserve_symbol(
        self,
        user_id: str,
        symbol: str,
        intent_id: str,
        now: datetime,
        hold: timedelta,
        *,
        seen: int | None = None,
    ) -> bool:
        """Hold a netting account's symbol for an opening unless another opening holds it."""
        with self._transaction() as con:
            con.execute(
                "DELETE FROM symbol_holds WHERE user_id = ? AND until <= ?",
                (user_id, micros(now)),
            )
            con.execute(_ORPHANS, (user_id, user_id, user_id))
            # Another opening settled at or before `seen` shows in the account read after it.
            sql = (
                "SELECT 1 FROM symbol_holds h LEFT JOIN opening_settled s"
                " ON s.user_id = h.user_id AND s.intent_id = h.intent_id"
                " WHERE h.user_id = ? AND h.symbol = ? AND h.intent_id != ?"
                " AND (? IS NULL OR s.mark IS NULL OR s.mark > ?)"
            )
            if con.execute(sql, (user_id, symbol, intent_id, seen, seen)).fetchone():
                return False
            row = (user_id, intent_id, symbol, micros(now + hold))
            con.execute("INSERT OR REPLACE INTO symbol_holds VALUES (?, ?, ?, ?)", row)
            return True

    async def release_symbol(self, user_id: str, intent_id: str) -> None:
        """Give back the symbol an intent holds."""
        await self._release("symbol_holds", user_id, intent_id)

    async def _release(self, table: str, user_id: str, intent_id: str) -> None:
        held = f"SELECT 1 FROM {table} WHERE user_id = ? AND intent_id = ?"
        if self._rows(held, (user_id, intent_id)):  # usually none: then no write transaction
            with self._transaction() as con:
                sql = f"DELETE FROM {table} WHERE user_id = ? AND intent_id = ?"
                con.execute(sql, (user_id, intent_id))
                con.execute(_ORPHANS, (user_id, user_id, user_id))


def _held(con: sqlite3.Connection, user_id: str) -> dict[str, int | None]:
    # intent id → the mark at which its slot settled (None: not settled).
    sql = (
        "SELECT o.intent_id, s.mark FROM openings o LEFT JOIN opening_settled s"
        " ON s.user_id = o.user_id AND s.intent_id = o.intent_id WHERE o.user_id = ?"
    )
    return {intent_id: mark for intent_id, mark in con.execute(sql, (user_id,))}
