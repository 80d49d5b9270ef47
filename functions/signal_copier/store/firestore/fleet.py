"""The `FleetStore` port on Firestore (google.cloud.firestore.AsyncClient), self-contained.

Document layout (ARCHITECTURE.md "Data"):

- `shards/{n}`: `owner` (str, "" when free), `epoch` (int), `expires` (timestamp), `sessions`
  (int: linked sessions in the shard, kept by link/break transactions so a scan never reads
  session documents).
- `sessions/{uid}`: `shard` (int), `state` ("linked" | "broken").
- `sessions/{uid}/watermarks/{chatId}`: `message_id` (int), `seen_at_us` (int, microseconds
  since 1970 UTC); both written with the server-side Maximum transform, so a mark never moves
  back whatever order batches land in.
- `users/{uid}/chats/{chatId}`: `title`, `kind` — the chats the session can read (the
  dashboard's ChatInfo, read by store/firestore/web.py).
- `users/{uid}/bot/status`: the dashboard's BotStatus fields (`state`, `detail`, `updated`)
  and the fleet's SessionHealth (`connected`, `link`, `last_message_at`, `last_error`).
- `users/{uid}/activity/{autoId}` and `audit/{autoId}`: a notice as the dashboard's AuditEvent
  (`action` channel_unfollowed / telegram_link_failed, `detail.notice` the Notice's kind).
- Read: `users/{uid}/channels/{chatId}` (the chats a user follows: only the ids are read).
  Deleted with `chats/{chatId}/subscribers/{uid}` when the session loses access to a chat.

Unlinking deletes `sessions/{uid}`, its watermarks, `users/{uid}/chats` and the bot status in
one transaction; the listener's writes for a user (chats, status, breaking) are transactions
that read `sessions/{uid}` first and write nothing once it is gone, so a listener still
stopping an unlinked session cannot bring them back.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from google.api_core import exceptions as google_errors
from google.cloud import firestore
from google.cloud.firestore_v1 import AsyncTransaction
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core import codec
from signal_copier.core import leases as rules
from signal_copier.core.dashboard import AuditEvent, ChatInfo
from signal_copier.core.errors import StoreUnavailable
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

T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_IN_LIMIT = 30  # values an `in` filter takes
# Vendor errors → what the caller must do (anything else propagates unchanged).
_ERRORS: dict[type[Exception], type[StoreUnavailable]] = {
    google_errors.Aborted: StoreUnavailable,  # contention outlasted the transaction's retries
    google_errors.DeadlineExceeded: StoreUnavailable,
    google_errors.ServiceUnavailable: StoreUnavailable,
    google_errors.ResourceExhausted: StoreUnavailable,
    google_errors.InternalServerError: StoreUnavailable,
}


class FirestoreFleetStore:
    """Shard leases, sessions, watermarks, chats, bot status and notices in Firestore."""

    def __init__(self, client: firestore.AsyncClient) -> None:
        self._db = client

    async def shards(self, expiring_before: datetime) -> list[Lease]:
        """Return shards with sessions whose lease ends before the time (or was never taken)."""
        query = self._db.collection("shards").where(
            filter=FieldFilter("expires", "<", expiring_before)
        )
        found = [_lease(int(doc.id), doc.to_dict() or {}) async for doc in _stream(query)]
        return sorted((s for s in found if s.sessions > 0), key=lambda s: s.shard)

    async def acquire(
        self, shard: int, owner: str, now: datetime, timing: LeaseTiming
    ) -> Lease | None:
        """Take the shard in a transaction if the rules allow it now; None if it is held."""
        ref = self._db.document("shards", str(shard))

        async def work(transaction: AsyncTransaction) -> Lease | None:
            snap = await ref.get(transaction=transaction)
            current = _lease(shard, snap.to_dict() or {}) if snap.exists else None
            if current is not None and current.owner == owner:
                return None
            if not rules.can_acquire(current, owner, now, timing):
                return None
            lease = rules.acquired(current, shard, owner, now, timing)
            fields = {"owner": owner, "epoch": lease.epoch, "expires": lease.expires}
            transaction.set(ref, fields, merge=True)
            sessions = 0 if current is None else current.sessions
            return Lease(**{**_fields(lease), "sessions": sessions})

        return await self._transact(work)

    async def renew(
        self, held: Mapping[int, int], owner: str, now: datetime, timing: LeaseTiming
    ) -> dict[int, Lease]:
        """Extend, in one transaction, every lease still held by (owner, epoch)."""
        refs = {shard: self._db.document("shards", str(shard)) for shard in sorted(held)}
        until = now + timing.ttl

        async def work(transaction: AsyncTransaction) -> dict[int, Lease]:
            snaps = await self._get_all(list(refs.values()), transaction)
            kept = {}
            for snap in snaps:
                shard = int(snap.id)
                current = _lease(shard, snap.to_dict() or {}) if snap.exists else None
                if current is not None and rules.still_held(current, owner, held[shard]):
                    transaction.update(refs[shard], {"expires": until})
                    kept[shard] = Lease(**{**_fields(current), "expires": until})
            return kept

        return await self._transact(work) if refs else {}

    async def release(self, held: Mapping[int, int], owner: str, now: datetime) -> None:
        """Hand back, in one transaction, the leases still held by (owner, epoch)."""
        refs = [self._db.document("shards", str(shard)) for shard in sorted(held)]

        async def work(transaction: AsyncTransaction) -> None:
            for snap in await self._get_all(refs, transaction):
                current = _lease(int(snap.id), snap.to_dict() or {}) if snap.exists else None
                if current is not None and rules.still_held(current, owner, held[current.shard]):
                    transaction.update(snap.reference, {"owner": "", "expires": now})

        if refs:
            await self._transact(work)

    async def sessions(self, shards: Sequence[int]) -> list[SessionLink]:
        """Return the linked sessions of these shards, each with the chats its user follows."""
        wanted = sorted(set(shards))
        users: list[tuple[str, int]] = []
        for start in range(0, len(wanted), _IN_LIMIT):
            chunk = wanted[start : start + _IN_LIMIT]
            query = self._db.collection("sessions").where(filter=FieldFilter("shard", "in", chunk))
            async for doc in _stream(query):
                data = doc.to_dict() or {}
                if data.get("state") == LinkState.LINKED:
                    users.append((doc.id, int(data["shard"])))
        followed = await asyncio.gather(*(self._followed(uid) for uid, _ in users))
        return [
            SessionLink(user_id=uid, shard=shard, chats=chats)
            for (uid, shard), chats in sorted(zip(users, followed, strict=True))
        ]

    async def session_count(self) -> int:
        """Return the number of linked sessions (one aggregation query)."""
        query = self._db.collection("sessions").where(filter=FieldFilter("state", "==", "linked"))
        aggregate: Any = query.count(alias="n")  # typed as a class by the SDK
        result = await _call(lambda: aggregate.get())
        return int(result[0][0].value)

    async def link_session(self, link: SessionLink) -> None:
        """Record a linked session and count it in its shard, in one transaction."""
        session = self._db.document("sessions", link.user_id)
        shard = self._db.document("shards", str(link.shard))

        async def work(transaction: AsyncTransaction) -> None:
            before = await session.get(transaction=transaction)
            shard_doc = await shard.get(transaction=transaction)
            was_linked = before.exists and (before.to_dict() or {}).get("state") == "linked"
            transaction.set(session, {"shard": link.shard, "state": link.state.value})
            counts = link.state is LinkState.LINKED and not was_linked
            if counts and shard_doc.exists:
                transaction.update(shard, {"sessions": firestore.Increment(1)})
            elif counts:
                fresh = {"owner": "", "epoch": 0, "expires": EPOCH, "sessions": 1}
                transaction.set(shard, fresh)

        await self._transact(work)

    async def break_session(self, notice: Notice, health: SessionHealth) -> bool:
        """Mark the session broken, uncount it, set the status and add the notice, atomically."""
        user = notice.user_id
        session = self._db.document("sessions", user)

        async def work(transaction: AsyncTransaction) -> bool:
            before = await session.get(transaction=transaction)
            if not before.exists:
                return False  # unlinked meanwhile: nothing to break, nobody to tell
            data = before.to_dict() or {}
            if data.get("state") == "linked":
                transaction.update(session, {"state": LinkState.BROKEN.value})
                shard = self._db.document("shards", str(int(data["shard"])))
                transaction.update(shard, {"sessions": firestore.Increment(-1)})
            transaction.set(self._status(user), _health_doc(health))
            for ref in self._event_refs(user):
                transaction.set(ref, _notice_doc(notice))
            return True

        return await self._transact(work)

    async def unlink_session(self, user_id: str) -> None:
        """Delete the session, its watermarks, readable chats and status; uncount it, atomically."""
        session = self._db.document("sessions", user_id)
        owned = (session.collection("watermarks"), self._db.collection("users", user_id, "chats"))

        async def work(transaction: AsyncTransaction) -> None:
            before = await session.get(transaction=transaction)
            docs = [d for c in owned for d in await c.get(transaction=_typed(transaction))]
            data = before.to_dict() or {}
            if before.exists and data.get("state") == "linked":
                shard = self._db.document("shards", str(int(data["shard"])))
                transaction.update(shard, {"sessions": firestore.Increment(-1)})
            for ref in (session, self._status(user_id), *(d.reference for d in docs)):
                transaction.delete(ref)

        await self._transact(work)

    async def watermarks(self, user_id: str) -> dict[str, Watermark]:
        """Return a session's watermarks by chat."""
        query = self._db.collection("sessions", user_id, "watermarks")
        marks = {}
        async for doc in _stream(query):
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
        await _call(batch.commit)

    async def put_chats(self, user_id: str, chats: Sequence[ChatInfo]) -> None:
        """Replace the readable chats in a transaction, writing only documents that changed."""
        session = self._db.document("sessions", user_id)
        collection = self._db.collection("users", user_id, "chats")
        wanted = {c.chat_id: c for c in chats}

        async def work(transaction: AsyncTransaction) -> None:
            if not (await session.get(transaction=transaction)).exists:
                return  # unlinked meanwhile: the chats stay cleared
            docs = await collection.get(transaction=_typed(transaction))
            have = {d.id: _chat(d.id, d.to_dict() or {}) for d in docs}
            for chat_id in have.keys() - wanted.keys():
                transaction.delete(collection.document(chat_id))
            for chat_id, chat in wanted.items():
                if have.get(chat_id) != chat:
                    fields = {"title": chat.title, "kind": chat.kind}
                    transaction.set(collection.document(chat_id), fields)

        await self._transact(work)

    async def session_health(self, user_id: str) -> SessionHealth | None:
        """Return the session's health, or None."""
        snap = await _call(self._status(user_id).get)
        if not snap.exists:
            return None
        data = {k: str(v) if isinstance(v, datetime) else v for k, v in snap.to_dict().items()}
        return codec.from_dict(SessionHealth, data)

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write the session's health with the dashboard's status fields, if it is recorded."""
        session = self._db.document("sessions", user_id)

        async def work(transaction: AsyncTransaction) -> None:
            if (await session.get(transaction=transaction)).exists:
                transaction.set(self._status(user_id), _health_doc(health))

        await self._transact(work)

    async def drop_subscription(self, notice: Notice) -> None:
        """Delete both subscription documents and add the notice, in one atomic batch."""
        user, chat = notice.user_id, notice.chat_id
        batch = self._db.batch()
        batch.delete(self._db.document("users", user, "channels", chat))
        batch.delete(self._db.document("chats", chat, "subscribers", user))
        for ref in self._event_refs(user):
            batch.set(ref, _notice_doc(notice))
        await _call(batch.commit)

    async def notices(self, user_id: str) -> list[Notice]:
        """Return the fleet's notices among the user's activity, oldest first."""
        query = self._db.collection("users", user_id, "activity")
        found = [_notice(doc.to_dict() or {}) async for doc in _stream(query)]
        return sorted((n for n in found if n is not None), key=lambda n: n.at)

    async def _followed(self, user_id: str) -> tuple[str, ...]:
        query = self._db.collection("users", user_id, "channels")
        # The pipeline's store keeps the chat id in the document (its id may be escaped).
        found = [str((doc.to_dict() or {}).get("chat_id", doc.id)) async for doc in _stream(query)]
        return tuple(sorted(found))

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
            return await _call(lambda: run(transaction))
        except ValueError as e:  # "Failed to commit transaction in N attempts."
            raise StoreUnavailable(f"firestore: {e}") from e


async def _call(step: Callable[[], Awaitable[T]]) -> T:
    try:
        return await step()
    except tuple(_ERRORS) as e:
        raise _ERRORS[type(e)](f"firestore: {type(e).__name__}: {e}") from e


async def _stream(query: Any) -> Any:
    try:
        async for doc in query.stream():
            yield doc
    except tuple(_ERRORS) as e:
        raise _ERRORS[type(e)](f"firestore: {type(e).__name__}: {e}") from e


def _typed(transaction: AsyncTransaction) -> Any:
    # AsyncCollectionReference.get is annotated with the sync Transaction (SDK 2.34.1), yet
    # takes the async one at run time.
    return transaction


def _lease(shard: int, data: dict[str, Any]) -> Lease:
    return Lease(
        shard=shard,
        owner=str(data.get("owner", "")),
        epoch=int(data.get("epoch", 0)),
        expires=data.get("expires", EPOCH),
        sessions=int(data.get("sessions", 0)),
    )


def _fields(lease: Lease) -> dict[str, Any]:
    return {
        "shard": lease.shard,
        "owner": lease.owner,
        "epoch": lease.epoch,
        "expires": lease.expires,
        "sessions": lease.sessions,
    }


def _health_doc(health: SessionHealth) -> dict[str, Any]:
    # Times as timestamps (the dashboard's decoder takes them as it takes ISO strings).
    status = dashboard_status(health)
    doc: dict[str, Any] = {**codec.to_dict(status), **codec.to_dict(health)}
    doc.update(updated=health.updated, last_message_at=health.last_message_at)
    return doc


def _chat(chat_id: str, data: dict[str, Any]) -> ChatInfo:
    return ChatInfo(
        chat_id=chat_id, title=str(data.get("title", "")), kind=str(data.get("kind", ""))
    )


def _notice_doc(notice: Notice) -> dict[str, Any]:
    event = notice_event(notice)
    return {**codec.to_dict(event), "at": event.at}


def _notice(data: dict[str, Any]) -> Notice | None:
    at = data.get("at")
    data = {**data, "at": at.isoformat()} if isinstance(at, datetime) else data
    return event_notice(codec.from_dict(AuditEvent, data))


if TYPE_CHECKING:
    from signal_copier.core.ports import FleetStore

    _conforms: FleetStore = FirestoreFleetStore(firestore.AsyncClient())
