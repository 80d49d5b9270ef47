"""Users, the chats they follow, and which user each broker account belongs to."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from signal_copier.core.records import Subscription, UserRecord
from signal_copier.store import decode, dump_json, encode, load_json
from signal_copier.store.sqlite.db import SqliteDatabase, dump, load, stamp

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (user_id TEXT PRIMARY KEY, record TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS subscriptions (user_id TEXT NOT NULL, chat_id TEXT NOT NULL,
  overrides TEXT NOT NULL, since TEXT, PRIMARY KEY (user_id, chat_id));
CREATE INDEX IF NOT EXISTS subscriptions_by_chat ON subscriptions (chat_id, user_id);
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, user_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS holders (chat_id TEXT NOT NULL, user_id TEXT NOT NULL,
  PRIMARY KEY (chat_id, user_id));
"""
_SUBSCRIPTION = "SELECT user_id, chat_id, overrides, since FROM subscriptions"


class UserTables(SqliteDatabase):
    """Users, subscriptions and account ownership; atomic changes are single transactions."""

    SCHEMA = _SCHEMA

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        sql = "SELECT record FROM users WHERE user_id = ?"
        return self._one(UserRecord, sql, (user_id,), "users")

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user."""
        self._write("INSERT OR REPLACE INTO users VALUES (?, ?)", (user.user_id, dump(user)))

    async def create_user(self, user: UserRecord) -> bool:
        """Create a user; False if one with that id exists."""
        sql = "INSERT OR IGNORE INTO users VALUES (?, ?)"
        return self._write(sql, (user.user_id, dump(user))) == 1

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

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id."""
        rows = self._rows(f"{_SUBSCRIPTION} WHERE chat_id = ? ORDER BY user_id", (chat_id,))
        return [_subscription(row) for row in rows]

    async def subscriber_pages(
        self, chat_id: str, page_size: int = 1_000
    ) -> AsyncIterator[list[Subscription]]:
        """Yield a chat's subscribers page by page, by user id (keyset: no page is read twice)."""
        after = ""
        while True:
            sql = f"{_SUBSCRIPTION} WHERE chat_id = ? AND user_id > ? ORDER BY user_id LIMIT ?"
            page = [_subscription(row) for row in self._rows(sql, (chat_id, after, page_size))]
            if page:
                yield page
            if len(page) < page_size:
                return
            after = page[-1].user_id

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        rows = self._rows(f"{_SUBSCRIPTION} WHERE user_id = ? ORDER BY chat_id", (user_id,))
        return [_subscription(row) for row in rows]

    async def subscription(self, user_id: str, chat_id: str) -> Subscription | None:
        """Return one subscription, or None."""
        rows = self._rows(f"{_SUBSCRIPTION} WHERE user_id = ? AND chat_id = ?", (user_id, chat_id))
        return _subscription(rows[0]) if rows else None

    async def add_subscription(self, subscription: Subscription, limit: int | None) -> bool:
        """Follow a chat (or replace its overrides); False past `limit` other chats."""
        user_id, chat_id = subscription.user_id, subscription.chat_id
        overrides = dump_json(encode(subscription)["overrides"])
        with self._transaction() as con:
            sql = "UPDATE subscriptions SET overrides = ? WHERE user_id = ? AND chat_id = ?"
            if con.execute(sql, (overrides, user_id, chat_id)).rowcount:
                return True
            sql = "SELECT COUNT(*) FROM subscriptions WHERE user_id = ?"
            (count,) = con.execute(sql, (user_id,)).fetchone()
            if limit is not None and count >= limit:
                return False
            since = None if subscription.since is None else stamp(subscription.since)
            row = (user_id, chat_id, overrides, since)
            con.execute("INSERT INTO subscriptions VALUES (?, ?, ?, ?)", row)
            return True

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed)."""
        sql = "DELETE FROM subscriptions WHERE user_id = ? AND chat_id = ?"
        self._write(sql, (user_id, chat_id))

    async def add_holder(self, chat_id: str, user_id: str) -> None:
        """Note that a user holds trades a chat opened."""
        # Usually noted already: a read then, not a write transaction (the same outcome).
        if self._rows(
            "SELECT 1 FROM holders WHERE chat_id = ? AND user_id = ?", (chat_id, user_id)
        ):
            return
        self._write("INSERT OR IGNORE INTO holders VALUES (?, ?)", (chat_id, user_id))

    async def holders(self, chat_id: str) -> list[str]:
        """Return the users holding trades a chat opened, by user id."""
        sql = "SELECT user_id FROM holders WHERE chat_id = ? ORDER BY user_id"
        return [str(row[0]) for row in self._rows(sql, (chat_id,))]

    async def remove_holder(self, chat_id: str, user_id: str) -> None:
        """Forget that a user holds trades a chat opened."""
        self._write("DELETE FROM holders WHERE chat_id = ? AND user_id = ?", (chat_id, user_id))

    async def claim_account(self, account_id: str, user_id: str) -> bool:
        """Make a broker account the user's; False if another user holds it."""
        with self._transaction() as con:
            sql = "SELECT user_id FROM accounts WHERE account_id = ?"
            row = con.execute(sql, (account_id,)).fetchone()
            if row is not None:
                return bool(row[0] == user_id)
            con.execute("INSERT INTO accounts VALUES (?, ?)", (account_id, user_id))
            return True

    async def account_owner(self, account_id: str) -> str | None:
        """Return the user a broker account belongs to, or None."""
        rows = self._rows("SELECT user_id FROM accounts WHERE account_id = ?", (account_id,))
        return str(rows[0][0]) if rows else None

    async def release_account(self, account_id: str, user_id: str) -> None:
        """Give up a broker account (only its owner can)."""
        sql = "DELETE FROM accounts WHERE account_id = ? AND user_id = ?"
        self._write(sql, (account_id, user_id))


def _subscription(row: tuple[str, str, str, str | None]) -> Subscription:
    user_id, chat_id, overrides, since = row
    where = f"subscriptions/{chat_id}/{user_id}"
    data = {
        "user_id": user_id,
        "chat_id": chat_id,
        "overrides": load_json(overrides, where),
        "since": since,
    }
    return decode(Subscription, data, where)
