"""Accounts the sweep polls for deals: those holding trades the copier manages."""

from __future__ import annotations

from datetime import datetime, timedelta

from signal_copier.store.sqlite.db import EPOCH, SqliteDatabase, micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (user_id TEXT PRIMARY KEY, since INTEGER NOT NULL,
  touched INTEGER NOT NULL);
"""


class WatchTables(SqliteDatabase):
    """The watch list and each account's deal cursor; every change is one transaction."""

    SCHEMA = _SCHEMA

    async def watch(self, user_id: str, since: datetime, now: datetime) -> None:
        """Poll a user's account for deals from `since` on (an earlier `since` is kept)."""
        sql = (
            "INSERT INTO watches VALUES (?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " since = MIN(since, excluded.since), touched = MAX(touched, excluded.touched)"
        )
        self._write(sql, (user_id, micros(since), micros(now)))

    async def watched(self, limit: int, after: str | None = None) -> list[tuple[str, datetime]]:
        """Return (user id, deals since) of watched accounts by user id, after `after`."""
        sql = "SELECT user_id, since FROM watches WHERE user_id > ? ORDER BY user_id LIMIT ?"
        rows = self._rows(sql, (after or "", limit))
        return [(user_id, _time(since)) for user_id, since in rows]

    async def advance_watch(self, user_id: str, since: datetime) -> None:
        """Move a watched account's deal cursor forward to `since` (never back)."""
        sql = "UPDATE watches SET since = MAX(since, ?) WHERE user_id = ?"
        self._write(sql, (micros(since), user_id))

    async def unwatch(self, user_id: str, checked: datetime) -> bool:
        """Stop polling unless a trade was opened (watch called) at or after `checked`."""
        sql = "DELETE FROM watches WHERE user_id = ? AND touched < ?"
        return self._write(sql, (user_id, micros(checked))) == 1


def _time(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)
