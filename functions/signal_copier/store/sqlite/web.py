"""The dashboard's tables (the `WebStore` port): audit, nonces, rate limits, chats, profiles.

The signal log is read from the pipeline's `messages` table: one row per message version.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from signal_copier.core import codec
from signal_copier.core.dashboard import AuditEvent, BotStatus, ChatInfo, LogEntry, Profile
from signal_copier.core.records import MessageRecord
from signal_copier.store import dump_json, load_json
from signal_copier.store.sqlite.db import MAX_INT, SqliteDatabase, dump, load, micros

_SCHEMA = """
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id TEXT NOT NULL,
  at INTEGER NOT NULL, event TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_by_user ON audit (user_id, seq);
CREATE TABLE IF NOT EXISTS nonces (nonce TEXT PRIMARY KEY, data TEXT NOT NULL,
  expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS ratelimits (key TEXT PRIMARY KEY, window INTEGER NOT NULL,
  hits INTEGER NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS user_chats (user_id TEXT NOT NULL, chat_id TEXT NOT NULL,
  record TEXT NOT NULL, PRIMARY KEY (user_id, chat_id));
CREATE TABLE IF NOT EXISTS bot_status (user_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS profiles (user_id TEXT PRIMARY KEY, record TEXT NOT NULL);
"""


class WebTables(SqliteDatabase):
    """The `WebStore` port on SQLite; every atomic method is one BEGIN IMMEDIATE transaction."""

    SCHEMA = _SCHEMA

    async def add_audit(self, event: AuditEvent) -> None:
        """Append an event; the user's activity is the same rows filtered by user."""
        row = (event.user_id, micros(event.at), dump(event))
        self._write("INSERT INTO audit (user_id, at, event) VALUES (?, ?, ?)", row)

    async def activity(self, user_id: str, limit: int = 50) -> list[AuditEvent]:
        """Return the user's own events, newest first."""
        sql = "SELECT event FROM audit WHERE user_id = ? ORDER BY seq DESC LIMIT ?"
        return [load(AuditEvent, r[0], "audit") for r in self._rows(sql, (user_id, limit))]

    async def put_nonce(self, nonce: str, data: dict[str, str], expires: datetime) -> None:
        """Store a one-time value until `expires`."""
        sql = "INSERT OR REPLACE INTO nonces VALUES (?, ?, ?)"
        self._write(sql, (nonce, dump_json(data), micros(expires)))

    async def take_nonce(self, nonce: str, now: datetime) -> dict[str, str] | None:
        """Delete and return a live one-time value; None if unknown, used or expired."""
        with self._transaction() as con:
            con.execute(
                "DELETE FROM nonces WHERE expires <= ? AND nonce != ?", (micros(now), nonce)
            )
            sql = "DELETE FROM nonces WHERE nonce = ? RETURNING data, expires"
            row = con.execute(sql, (nonce,)).fetchone()
        if row is None or row[1] <= micros(now):
            return None
        data = load_json(row[0], "nonces")
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else None

    async def use_once(self, key: str, now: datetime, expires: datetime) -> bool:
        """Mark `key` used until `expires` in one transaction; False if it already is."""
        with self._transaction() as con:
            con.execute("DELETE FROM nonces WHERE nonce = ? AND expires <= ?", (key, micros(now)))
            sql = "INSERT INTO nonces VALUES (?, '{}', ?) ON CONFLICT (nonce) DO NOTHING"
            return con.execute(sql, (key, micros(expires))).rowcount == 1

    async def hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one hit in the fixed window that holds `now`; return the window's count."""
        size = max(1, window // timedelta(microseconds=1))
        start = micros(now) // size
        with self._transaction() as con:
            con.execute("DELETE FROM ratelimits WHERE expires <= ?", (micros(now),))
            con.execute(
                "INSERT INTO ratelimits VALUES (?, ?, 1, ?) ON CONFLICT (key) DO UPDATE SET "
                "hits = CASE WHEN window = excluded.window THEN hits + 1 ELSE 1 END, "
                "window = excluded.window, expires = excluded.expires",
                (key, start, (start + 1) * size),
            )
            (hits,) = con.execute("SELECT hits FROM ratelimits WHERE key = ?", (key,)).fetchone()
        return int(hits)

    async def signal_log(
        self, chat_id: str, before: int | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Return a chat's message versions from the messages table, newest first."""
        sql = (
            "SELECT record FROM messages WHERE chat_id = ? AND message_id < ? "
            "ORDER BY message_id DESC, version DESC LIMIT ?"
        )
        rows = self._rows(sql, (chat_id, MAX_INT if before is None else before, limit))
        return [log_entry(load(MessageRecord, r[0], "messages")) for r in rows]

    async def bot_status(self, user_id: str) -> BotStatus | None:
        """Return the last reported session health, if any."""
        sql = "SELECT record FROM bot_status WHERE user_id = ?"
        return self._one(BotStatus, sql, (user_id,), "bot_status")

    async def put_bot_status(self, user_id: str, status: BotStatus) -> None:
        """Report the health of a user's Telegram session (the listener's side)."""
        self._write("INSERT OR REPLACE INTO bot_status VALUES (?, ?)", (user_id, dump(status)))

    async def user_chats(self, user_id: str) -> list[ChatInfo]:
        """Return the chats the user's session can read, by title."""
        sql = "SELECT record FROM user_chats WHERE user_id = ?"
        chats = [load(ChatInfo, r[0], "user_chats") for r in self._rows(sql, (user_id,))]
        return sorted(chats, key=lambda c: (c.title.lower(), c.chat_id))

    async def put_user_chat(self, user_id: str, chat: ChatInfo) -> None:
        """Note a chat the user's session can read (the listener's side)."""
        row = (user_id, chat.chat_id, dump(chat))
        self._write("INSERT OR REPLACE INTO user_chats VALUES (?, ?, ?)", row)

    async def profile(self, user_id: str) -> Profile:
        """Return the stored profile, or an empty one."""
        sql = "SELECT record FROM profiles WHERE user_id = ?"
        found = self._one(Profile, sql, (user_id,), "profiles")
        return found or Profile(user_id=user_id)

    async def put_profile(self, profile: Profile) -> None:
        """Create or replace a profile."""
        self._write(
            "INSERT OR REPLACE INTO profiles VALUES (?, ?)", (profile.user_id, dump(profile))
        )


def log_entry(record: MessageRecord) -> LogEntry:
    """Return what the signal log shows of one stored message version."""
    return LogEntry(
        key=record.key,
        chat_id=record.chat_id,
        message_id=record.message_id,
        version=record.version,
        date=record.date,
        kind=record.kind,
        text=record.text,
        reason=record.reason,
        explain=record.explain,
        chat_title=record.chat_title,
        reply_to=record.reply_to,
        signals=tuple(codec.to_dict(s) for s in record.signals),
        command=codec.to_dict(record.command) if record.command else None,
    )
