"""The fleet's per-session records on Firestore: watermarks, readable chats, status, notices.

The base of FirestoreFleetStore (fleet.py, where the layout is described): it holds the client
and the transaction helper both halves use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from google.cloud import firestore
from google.cloud.firestore_v1 import AsyncTransaction

from signal_copier.core import codec
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.errors import StoreUnavailable
from signal_copier.core.fleet import Notice, SessionHealth, Watermark
from signal_copier.store.firestore.fleet_docs import (
    EPOCH,
    call,
    chat_of,
    health_doc,
    notice_doc,
    notice_of,
    stream,
    typed,
)

T = TypeVar("T")


class FleetSessionRecords:
    """Watermarks, readable chats, session health and notices of each user's session."""

    def __init__(self, client: firestore.AsyncClient) -> None:
        self._db = client

    async def watermarks(self, user_id: str) -> dict[str, Watermark]:
        """Return a session's watermarks by chat."""
        query = self._db.collection("sessions", user_id, "watermarks")
        marks = {}
        async for doc in stream(query):
            data = doc.to_dict() or {}
            seen = EPOCH + timedelta(microseconds=int(data.get("seen_at_us", 0)))
            mid = int(data.get("message_id", 0))
            marks[doc.id] = Watermark(user_id=user_id, chat_id=doc.id, message_id=mid, seen_at=seen)
        return marks

    async def save_watermarks(self, marks: Sequence[Watermark]) -> None:
        """Write many watermarks in one batch (server-side Maximum: a mark never moves back)."""
        if not marks:
            return
        batch = self._db.batch()
        for mark in marks:
            ref = self._db.document("sessions", mark.user_id, "watermarks", mark.chat_id)
            seen_us = (mark.seen_at - EPOCH) // timedelta(microseconds=1)
            fields = {
                "message_id": firestore.Maximum(mark.message_id),
                "seen_at_us": firestore.Maximum(seen_us),
            }
            batch.set(ref, fields, merge=True)
        await call(batch.commit)

    async def put_chats(self, user_id: str, chats: Sequence[ChatInfo]) -> None:
        """Replace the readable chats in a transaction, writing only documents that changed."""
        session = self._db.document("sessions", user_id)
        collection = self._db.collection("users", user_id, "chats")
        wanted = {c.chat_id: c for c in chats}

        async def work(transaction: AsyncTransaction) -> None:
            if not (await session.get(transaction=transaction)).exists:
                return  # unlinked meanwhile: the chats stay cleared
            docs = await collection.get(transaction=typed(transaction))
            have = {d.id: chat_of(d.id, d.to_dict() or {}) for d in docs}
            for chat_id in have.keys() - wanted.keys():
                transaction.delete(collection.document(chat_id))
            for chat_id, chat in wanted.items():
                if have.get(chat_id) != chat:
                    fields = {"title": chat.title, "kind": chat.kind}
                    transaction.set(collection.document(chat_id), fields)

        await self._transact(work)

    async def session_health(self, user_id: str) -> SessionHealth | None:
        """Return the session's health, or None."""
        snap = await call(self._status(user_id).get)
        if not snap.exists:
            return None
        data = {k: str(v) if isinstance(v, datetime) else v for k, v in snap.to_dict().items()}
        return codec.from_dict(SessionHealth, data)

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write the session's health with the dashboard's status fields, if it is recorded."""
        session = self._db.document("sessions", user_id)

        async def work(transaction: AsyncTransaction) -> None:
            if (await session.get(transaction=transaction)).exists:
                transaction.set(self._status(user_id), health_doc(health))

        await self._transact(work)

    async def drop_subscription(self, notice: Notice) -> None:
        """Delete both subscription documents and add the notice, in one atomic batch."""
        user, chat = notice.user_id, notice.chat_id
        batch = self._db.batch()
        batch.delete(self._db.document("users", user, "channels", chat))
        batch.delete(self._db.document("chats", chat, "subscribers", user))
        for ref in self._event_refs(user):
            batch.set(ref, notice_doc(notice))
        await call(batch.commit)

    async def notices(self, user_id: str) -> list[Notice]:
        """Return the fleet's notices among the user's activity, oldest first."""
        query = self._db.collection("users", user_id, "activity")
        found = [notice_of(doc.to_dict() or {}) async for doc in stream(query)]
        return sorted((n for n in found if n is not None), key=lambda n: n.at)

    async def _get_all(self, refs: list[Any], transaction: AsyncTransaction) -> list[Any]:
        # AsyncTransaction.get_all awaits an async generator (SDK 2.34.1): use the client's.
        return [snap async for snap in self._db.get_all(refs, transaction=transaction)]

    def _status(self, user_id: str) -> Any:
        return self._db.document("users", user_id, "bot", "status")

    def _event_refs(self, user_id: str) -> tuple[Any, Any]:
        # As the dashboard's add_audit writes events: the audit trail and the user's activity.
        activity = self._db.collection("users", user_id, "activity").document()
        return self._db.collection("audit").document(), activity

    async def _transact(self, work: Callable[[AsyncTransaction], Awaitable[T]]) -> T:
        transaction = self._db.transaction()
        run = firestore.async_transactional(work)
        try:
            return await call(lambda: run(transaction))
        except ValueError as e:  # "Failed to commit transaction in N attempts."
            raise StoreUnavailable(f"firestore: {e}") from e
