"""The listener fleet's tables: shard leases, linked sessions, watermarks, chats, status, notices.

Same shapes as the Firestore documents (store/firestore/fleet.py). Unfollowing a chat deletes the
pipeline's `subscriptions` row, which is both of Firestore's index documents at once. Readable
chats and bot health go to the dashboard's `user_chats` and `bot_status` tables (web.py), which
the dashboard reads; the health record carries the dashboard's BotStatus fields as well.
Once a session's row is gone (the user unlinked it), a listener's writes for it do nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from signal_copier.core import leases as rules
from signal_copier.core.dashboard import AuditEvent, ChatInfo
from signal_copier.core.fleet import (
    Lease,
    LinkState,
    Notice,
    SessionHealth,
    SessionLink,
    Watermark,
    dashboard_status,
    event_notice,
    notice_event,
)
from signal_copier.core.leases import LeaseTiming
from signal_copier.store import dump_json, encode
from signal_copier.store.sqlite.db import EPOCH, SqliteDatabase, dump, load, micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS fleet_leases (shard INTEGER PRIMARY KEY, owner TEXT NOT NULL,
  epoch INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS fleet_sessions (user_id TEXT PRIMARY KEY, shard INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('linked', 'broken')));
CREATE INDEX IF NOT EXISTS fleet_sessions_by_shard ON fleet_sessions (shard, state);
CREATE TABLE IF NOT EXISTS fleet_watermarks (user_id TEXT NOT NULL, chat_id TEXT NOT NULL,
  message_id INTEGER NOT NULL, seen_at INTEGER NOT NULL, PRIMARY KEY (user_id, chat_id));
"""
_ONE_SHARD = "SELECT shard, owner, epoch, expires, 0 FROM fleet_leases WHERE shard = ?"
_ADD_EVENT = "INSERT INTO audit (user_id, at, event) VALUES (?, ?, ?)"
_PUT_STATUS = "INSERT OR REPLACE INTO bot_status VALUES (?, ?)"
_UNLINK = tuple(
    f"DELETE FROM {table} WHERE user_id = ?"
    for table in ("fleet_sessions", "user_chats", "fleet_watermarks", "bot_status")
)
# A mark never moves back: a late flush from a slower listener cannot undo a newer one.
_SAVE_MARK = (
    "INSERT INTO fleet_watermarks VALUES (?, ?, ?, ?) ON CONFLICT (user_id, chat_id) DO UPDATE "
    "SET message_id = max(message_id, excluded.message_id), "
    "seen_at = max(seen_at, excluded.seen_at)"
)


class FleetTables(SqliteDatabase):
    """The `FleetStore` port on SQLite: each lease call is one BEGIN IMMEDIATE transaction."""

    SCHEMA = _SCHEMA

    async def shards(self, expiring_before: datetime) -> list[Lease]:
        """Return shards with linked sessions whose lease is missing or ends before the time."""
        sql = (
            "SELECT z.shard, coalesce(l.owner, ''), coalesce(l.epoch, 0), coalesce(l.expires, 0), "
            "z.sessions FROM (SELECT shard, count(*) AS sessions FROM fleet_sessions "
            "WHERE state = 'linked' GROUP BY shard) z LEFT JOIN fleet_leases l USING (shard) "
            "WHERE l.expires IS NULL OR l.expires < ? ORDER BY z.shard"
        )
        return [_lease(row) for row in self._rows(sql, (micros(expiring_before),))]

    async def acquire(
        self, shard: int, owner: str, now: datetime, timing: LeaseTiming
    ) -> Lease | None:
        """Take the shard if the rules allow it now; None if another owner still holds it."""
        with self._transaction() as con:
            row = con.execute(_ONE_SHARD, (shard,)).fetchone()
            current = None if row is None else _lease(row)
            if current is not None and current.owner == owner:
                return None  # renewing is epoch-checked and separate; see can_acquire
            if not rules.can_acquire(current, owner, now, timing):
                return None
            lease = rules.acquired(current, shard, owner, now, timing)
            con.execute("INSERT OR REPLACE INTO fleet_leases VALUES (?, ?, ?, ?)", _row(lease))
            return replace(lease, sessions=_count(con, shard))

    async def renew(
        self, held: Mapping[int, int], owner: str, now: datetime, timing: LeaseTiming
    ) -> dict[int, Lease]:
        """Extend every lease still held by (owner, epoch) to now + ttl; return those."""
        kept = {}
        sql = "UPDATE fleet_leases SET expires = ? WHERE shard = ? AND owner = ? AND epoch = ?"
        until = now + timing.ttl
        with self._transaction() as con:
            for shard, epoch in sorted(held.items()):
                if con.execute(sql, (micros(until), shard, owner, epoch)).rowcount:
                    kept[shard] = Lease(
                        shard=shard,
                        owner=owner,
                        epoch=epoch,
                        expires=until,
                        sessions=_count(con, shard),
                    )
        return kept

    async def release(self, held: Mapping[int, int], owner: str, now: datetime) -> None:
        """Hand back the leases still held by (owner, epoch), expiring now."""
        sql = (
            "UPDATE fleet_leases SET owner = '', expires = ? "
            "WHERE shard = ? AND owner = ? AND epoch = ?"
        )
        with self._transaction() as con:
            for shard, epoch in sorted(held.items()):
                con.execute(sql, (micros(now), shard, owner, epoch))

    async def sessions(self, shards: Sequence[int]) -> list[SessionLink]:
        """Return the linked sessions of these shards, each with the chats its user follows."""
        wanted = sorted(set(shards))
        if not wanted:
            return []
        marks = ", ".join("?" * len(wanted))
        sql = (
            "SELECT s.user_id, s.shard, group_concat(c.chat_id, char(31)) FROM fleet_sessions s "
            "LEFT JOIN subscriptions c "
            f"ON c.user_id = s.user_id WHERE s.state = 'linked' AND s.shard IN ({marks}) "
            "GROUP BY s.user_id ORDER BY s.user_id"
        )
        return [
            SessionLink(user_id=user, shard=shard, chats=_split(chats))
            for user, shard, chats in self._rows(sql, wanted)
        ]

    async def session_count(self) -> int:
        """Return the number of linked sessions."""
        sql = "SELECT count(*) FROM fleet_sessions WHERE state = 'linked'"
        return int(self._rows(sql, ())[0][0])

    async def link_session(self, link: SessionLink) -> None:
        """Record a linked session (replacing a broken one)."""
        row = (link.user_id, link.shard, link.state.value)
        self._write("INSERT OR REPLACE INTO fleet_sessions VALUES (?, ?, ?)", row)

    async def break_session(self, notice: Notice, health: SessionHealth) -> bool:
        """Mark the session broken, set its health and add the notice, in one transaction."""
        user = notice.user_id
        with self._transaction() as con:
            if not _recorded(con, user):
                return False
            sql = "UPDATE fleet_sessions SET state = ? WHERE user_id = ?"
            con.execute(sql, (LinkState.BROKEN.value, user))
            con.execute(_PUT_STATUS, (user, _health_record(health)))
            con.execute(_ADD_EVENT, _event_row(notice))
            return True

    async def unlink_session(self, user_id: str) -> None:
        """Delete the session's row, readable chats, watermarks and health in one transaction."""
        with self._transaction() as con:
            for sql in _UNLINK:
                con.execute(sql, (user_id,))

    async def watermarks(self, user_id: str) -> dict[str, Watermark]:
        """Return a session's watermarks by chat."""
        sql = "SELECT chat_id, message_id, seen_at FROM fleet_watermarks WHERE user_id = ?"
        return {
            chat: Watermark(user_id=user_id, chat_id=chat, message_id=mid, seen_at=_time(seen))
            for chat, mid, seen in self._rows(sql, (user_id,))
        }

    async def save_watermarks(self, marks: Sequence[Watermark]) -> None:
        """Write many watermarks in one transaction; each keeps the larger id and time."""
        rows = [(m.user_id, m.chat_id, m.message_id, micros(m.seen_at)) for m in marks]
        if rows:
            with self._transaction() as con:
                con.executemany(_SAVE_MARK, rows)

    async def put_chats(self, user_id: str, chats: Sequence[ChatInfo]) -> None:
        """Replace the readable chats, touching only rows that changed."""
        wanted = {c.chat_id: dump(c) for c in chats}
        with self._transaction() as con:
            if not _recorded(con, user_id):
                return
            sql = "SELECT chat_id, record FROM user_chats WHERE user_id = ?"
            have = dict(con.execute(sql, (user_id,)).fetchall())
            gone = [(user_id, chat) for chat in have.keys() - wanted.keys()]
            con.executemany("DELETE FROM user_chats WHERE user_id = ? AND chat_id = ?", gone)
            changed = [(user_id, c, r) for c, r in wanted.items() if have.get(c) != r]
            con.executemany("INSERT OR REPLACE INTO user_chats VALUES (?, ?, ?)", changed)

    async def session_health(self, user_id: str) -> SessionHealth | None:
        """Return the session's health, or None."""
        sql = "SELECT record FROM bot_status WHERE user_id = ?"
        return self._one(SessionHealth, sql, (user_id,), f"users/{user_id}/bot/status")

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write the session's health (with the dashboard's status fields), if it is recorded."""
        with self._transaction() as con:
            if _recorded(con, user_id):
                con.execute(_PUT_STATUS, (user_id, _health_record(health)))

    async def drop_subscription(self, notice: Notice) -> None:
        """Unfollow the chat and add the notice in one transaction."""
        with self._transaction() as con:
            sql = "DELETE FROM subscriptions WHERE user_id = ? AND chat_id = ?"
            con.execute(sql, (notice.user_id, notice.chat_id))
            con.execute(_ADD_EVENT, _event_row(notice))

    async def notices(self, user_id: str) -> list[Notice]:
        """Return the fleet's notices among the user's activity, oldest first."""
        sql = "SELECT event FROM audit WHERE user_id = ? ORDER BY seq"
        events = [load(AuditEvent, row[0], "audit") for row in self._rows(sql, (user_id,))]
        return [n for n in map(event_notice, events) if n is not None]


def _event_row(notice: Notice) -> tuple[str, int, str]:
    event = notice_event(notice)  # the dashboard's activity reads the audit table
    return (event.user_id, micros(event.at), dump(event))


def _health_record(health: SessionHealth) -> str:
    return dump_json({**encode(dashboard_status(health)), **encode(health)})


def _lease(row: tuple[int, str, int, int, int]) -> Lease:
    shard, owner, epoch, expires, sessions = row
    return Lease(shard=shard, owner=owner, epoch=epoch, expires=_time(expires), sessions=sessions)


def _recorded(con: sqlite3.Connection, user_id: str) -> bool:
    sql = "SELECT 1 FROM fleet_sessions WHERE user_id = ?"
    return con.execute(sql, (user_id,)).fetchone() is not None


def _count(con: sqlite3.Connection, shard: int) -> int:
    sql = "SELECT count(*) FROM fleet_sessions WHERE shard = ? AND state = 'linked'"
    return int(con.execute(sql, (shard,)).fetchone()[0])


def _row(lease: Lease) -> tuple[int, str, int, int]:
    return (lease.shard, lease.owner, lease.epoch, micros(lease.expires))


def _time(us: int) -> datetime:
    return EPOCH + timedelta(microseconds=us)


def _split(joined: str | None) -> tuple[str, ...]:
    return tuple(sorted(joined.split("\x1f"))) if joined else ()
