"""Users, the chats they follow, and which user each broker account belongs to.

users/{uid}                        UserRecord fields (settings inline); a document without
                                   `user_id` holds other writers' fields only: no user yet
users/{uid}/channels/{chatId}      Subscription fields  ┐ always written together, in one
chats/{chatId}/subscribers/{uid}   Subscription fields  ┘ transaction or batch (fan-out index)
accounts/{accountId}               {account_id, user_id}: one broker account, one owner
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import aclosing
from dataclasses import replace

from google.cloud.firestore_v1.async_document import AsyncDocumentReference

from signal_copier.core.records import Subscription, UserRecord
from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore.client import FirestoreClient, Reader, Snapshot, Write
from signal_copier.store.firestore.encoding import doc_id, record_of, to_native
from signal_copier.store.firestore.errors import translated


class UserCollections(FirestoreClient):
    """Users, subscriptions and account owners of the `Store` port."""

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        snap = await self.get(self.doc("users", user_id))
        return _user(snap) if _is_user(snap) else None

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user's record (fields of users/{uid} that are not it are kept)."""
        data = to_native(user)
        ref = self.doc("users", user.user_id)
        async with translated(ref.path):
            # merge=[fields]: replace these fields whole, keep the others (the SDK's hint says bool)
            await ref.set(data, merge=list(data), timeout=self.timeout)  # type: ignore[arg-type]

    async def create_user(self, user: UserRecord) -> bool:
        """Create a user; False (nothing written) if one with that id exists."""
        ref, data = self.doc("users", user.user_id), to_native(user)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            if _is_user(snaps[0]):
                return False, []
            return True, [Write(ref, data, merge=list(data))]

        return await self.transact([ref], decide)

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Read, change and write a user in one transaction; None if there is no such user."""
        ref = self.doc("users", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[UserRecord | None, list[Write]]:
            if not _is_user(snaps[0]):
                return None, []
            changed = change(_user(snaps[0]))
            data = to_native(changed)
            return changed, [Write(ref, data, merge=list(data))]

        return await self.transact([ref], decide)

    async def subscriber_pages(self, chat_id: str) -> AsyncIterator[list[Subscription]]:
        """Yield a chat's subscribers page by page, by user id (for fan-outs of any size)."""
        chat = self.db.collection("chats", doc_id(chat_id), "subscribers")
        async with aclosing(self.pages(chat.order_by("user_id"), "subscribers")) as pages:
            async for page in pages:
                yield [_subscription(s) for s in page]

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id (read page by page)."""
        return [s async for page in self.subscriber_pages(chat_id) for s in page]

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        channels = self.db.collection("users", doc_id(user_id), "channels")
        found = await self.every(channels.order_by("chat_id"), "channels")
        return [_subscription(s) for s in found]

    async def subscription(self, user_id: str, chat_id: str) -> Subscription | None:
        """Return one subscription, or None."""
        snap = await self.get(self.doc("users", user_id, "channels", chat_id))
        return _subscription(snap) if snap.exists else None

    async def add_subscription(self, subscription: Subscription, limit: int | None) -> bool:
        """Follow a chat (or replace its overrides, keeping `since`); False past `limit` chats.

        The user's follows document is read and written by every follow, so two concurrent
        follows conflict on a document they both read and write: the count of the user's
        chats is a query, and a chat followed meanwhile is a document that query never read.
        """
        user_id, chat_id = subscription.user_id, subscription.chat_id
        refs = self._subscription_refs(user_id, chat_id)
        token = self.doc("follows", user_id)
        followed = self.db.collection("users", doc_id(user_id), "channels")

        async def gather(reader: Reader) -> tuple[Snapshot, Snapshot, int]:
            mine, steps = await reader.docs([refs[0], token])
            if mine.exists or limit is None:
                return mine, steps, 0
            return mine, steps, len(await reader.query(followed.limit(max(limit, 1))))

        def decide(found: tuple[Snapshot, Snapshot, int]) -> tuple[bool, list[Write]]:
            mine, steps, count = found
            chosen = subscription
            if mine.exists:
                chosen = replace(subscription, since=_subscription(mine).since)
            elif limit is not None and count >= limit:
                return False, []
            data = to_native(chosen)
            writes = [Write(ref, data) for ref in refs]
            return True, [*writes, Write(token, {"user_id": user_id, "follows": _follows(steps)})]

        return await self.atomically(token.path, gather, decide)

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed): both documents in one batch."""
        batch = self.db.batch()
        for ref in self._subscription_refs(user_id, chat_id):
            batch.delete(ref)
        async with translated("subscriptions"):
            await batch.commit(timeout=self.timeout)

    async def add_holder(self, chat_id: str, user_id: str) -> None:
        """Note that a user holds trades a chat opened (chats/{chat}/holders/{uid})."""
        ref = self.doc("chats", chat_id, "holders", user_id)
        async with translated("holders"):
            await ref.set({"user_id": user_id, "chat_id": chat_id}, timeout=self.timeout)

    async def holders(self, chat_id: str) -> list[str]:
        """Return the users holding trades a chat opened, by user id (read page by page)."""
        found = self.db.collection("chats", doc_id(chat_id), "holders").order_by("user_id")
        return [str(snap.get("user_id")) for snap in await self.every(found, "holders")]

    async def remove_holder(self, chat_id: str, user_id: str) -> None:
        """Forget that a user holds trades a chat opened."""
        ref = self.doc("chats", chat_id, "holders", user_id)
        async with translated("holders"):
            await ref.delete(timeout=self.timeout)

    async def claim_account(self, account_id: str, user_id: str) -> bool:
        """Make a broker account the user's; False if another user holds it."""
        ref = self.doc("accounts", account_id)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            if snaps[0].exists:
                return _owner(snaps[0]) == user_id, []
            return True, [Write(ref, {"account_id": account_id, "user_id": user_id})]

        return await self.transact([ref], decide)

    async def account_owner(self, account_id: str) -> str | None:
        """Return the user a broker account belongs to, or None."""
        snap = await self.get(self.doc("accounts", account_id))
        return _owner(snap) if snap.exists else None

    async def release_account(self, account_id: str, user_id: str) -> None:
        """Give up a broker account (only its owner can)."""
        ref = self.doc("accounts", account_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            mine = snaps[0].exists and _owner(snaps[0]) == user_id
            return None, [Write(ref)] if mine else []

        await self.transact([ref], decide)

    def _subscription_refs(self, user_id: str, chat_id: str) -> list[AsyncDocumentReference]:
        return [
            self.doc("users", user_id, "channels", chat_id),
            self.doc("chats", chat_id, "subscribers", user_id),
        ]


def _is_user(snap: Snapshot) -> bool:
    return snap.exists and "user_id" in (snap.to_dict() or {})


def _user(snap: Snapshot) -> UserRecord:
    return record_of(UserRecord, snap.to_dict(), snap.reference.path)


def _subscription(snap: Snapshot) -> Subscription:
    return record_of(Subscription, snap.to_dict(), snap.reference.path)


def _follows(token: Snapshot) -> int:
    count = (token.to_dict() or {}).get("follows", 0) if token.exists else 0
    return (count if type(count) is int else 0) + 1


def _owner(snap: Snapshot) -> str:
    owner = (snap.to_dict() or {}).get("user_id")
    if not isinstance(owner, str):
        raise StoreCorrupt(f"{snap.reference.path}: no owner's user_id")
    return owner
