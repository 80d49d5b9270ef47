"""The pipeline's collections: message versions, users and subscriptions.

    messages/{chat:msg:version}          MessageRecord fields + fanned_out + expire_at (TTL)
    users/{uid}                          UserRecord fields (settings inline); other fields kept
    users/{uid}/channels/{chatId}        Subscription fields  ┐ written together in one batch
    chats/{chatId}/subscribers/{uid}     Subscription fields  ┘ (the fan-out index)

Ids go through `encoding.doc_id`, and every document also holds its ids as fields.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from google.api_core import exceptions as gax
from google.cloud.firestore_v1.async_document import AsyncDocumentReference
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core.records import MessageRecord, Subscription, UserRecord
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import doc_id, record_of, to_native
from signal_copier.store.firestore.errors import translated
from signal_copier.store.firestore.schema import MESSAGE_RETENTION, MESSAGE_VERSIONS


class PipelineCollections(FirestoreClient):
    """Messages, users and subscriptions of the `Store` port."""

    async def remember_message(self, record: MessageRecord) -> bool:
        """Store a message version; return False if its key was already stored.

        One `create` (it fails if the document exists) is atomic without a transaction.
        """
        data = to_native(record)
        data["expire_at"] = to_native(record.date + MESSAGE_RETENTION)
        ref = self.doc("messages", record.key)
        async with translated(ref.path):
            try:
                await ref.create(data, timeout=self.timeout)
            except gax.AlreadyExists:
                return False
        return True

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Record how many intents a message fanned out to (no-op for an unknown key)."""
        ref = self.doc("messages", key)
        async with translated(ref.path):
            with contextlib.suppress(gax.NotFound):
                await ref.update({"fanned_out": to_native(intents)}, timeout=self.timeout)

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        snap = await self.get(self.doc("messages", key))
        return _message(snap) if snap.exists else None

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the highest stored version of a message, or the highest below `before`."""
        query = MESSAGE_VERSIONS.build(self.db.collection("messages"), chat_id, message_id)
        if before is not None:
            query = query.where(filter=FieldFilter("version", "<", before))
        async with translated("messages"):
            found = [s async for s in query.limit(1).stream(timeout=self.timeout)]
        return _message(found[0]) if found else None

    async def subscriber_pages(self, chat_id: str) -> AsyncIterator[list[Subscription]]:
        """Yield a chat's subscribers page by page, by user id (for fan-outs of any size)."""
        chat = self.db.collection("chats", doc_id(chat_id), "subscribers")
        async for page in self.pages(chat.order_by("user_id"), chat.id):
            yield [_subscription(s) for s in page]

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id."""
        return [s async for page in self.subscriber_pages(chat_id) for s in page]

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        channels = self.db.collection("users", doc_id(user_id), "channels")
        return [
            _subscription(s) for s in await self.every(channels.order_by("chat_id"), "channels")
        ]

    async def put_subscription(self, subscription: Subscription) -> None:
        """Create or replace a subscription (both of its documents, in one batch)."""
        data = to_native(subscription)
        batch = self.db.batch()
        for ref in self._subscription_refs(subscription.user_id, subscription.chat_id):
            batch.set(ref, data)
        async with translated("subscriptions"):
            await batch.commit(timeout=self.timeout)

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed)."""
        batch = self.db.batch()
        for ref in self._subscription_refs(user_id, chat_id):
            batch.delete(ref)
        async with translated("subscriptions"):
            await batch.commit(timeout=self.timeout)

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        snap = await self.get(self.doc("users", user_id))
        return _user(snap) if snap.exists else None

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user's record (fields of users/{uid} that are not it are kept)."""
        data = to_native(user)
        ref = self.doc("users", user.user_id)
        async with translated(ref.path):
            # merge=[fields]: replace these fields whole, keep the others (the SDK's hint says bool)
            await ref.set(data, merge=list(data), timeout=self.timeout)  # type: ignore[arg-type]

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Read, change and write a user in one transaction; None if there is no such user."""
        ref = self.doc("users", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[UserRecord | None, list[Write]]:
            if not snaps[0].exists:
                return None, []
            changed = change(_user(snaps[0]))
            data = to_native(changed)
            return changed, [Write(ref, data, merge=list(data))]

        return await self.transact([ref], decide)

    def _subscription_refs(self, user_id: str, chat_id: str) -> list[AsyncDocumentReference]:
        return [
            self.doc("users", user_id, "channels", chat_id),
            self.doc("chats", chat_id, "subscribers", user_id),
        ]


def _message(snap: Snapshot) -> MessageRecord:
    return record_of(MessageRecord, snap.to_dict(), snap.reference.path)


def _user(snap: Snapshot) -> UserRecord:
    return record_of(UserRecord, snap.to_dict(), snap.reference.path)


def _subscription(snap: Snapshot) -> Subscription:
    return record_of(Subscription, snap.to_dict(), snap.reference.path)
