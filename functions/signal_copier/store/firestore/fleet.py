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
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from google.cloud import firestore
from google.cloud.firestore_v1 import AsyncTransaction
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core import leases as rules
from signal_copier.core.fleet import Lease, LinkState, Notice, SessionHealth, SessionLink
from signal_copier.core.leases import LeaseTiming
from signal_copier.store.firestore.client import IN_LIMIT
from signal_copier.store.firestore.fleet_docs import (
    EPOCH,
    call,
    health_doc,
    lease_fields,
    lease_of,
    notice_doc,
    stream,
    typed,
)
from signal_copier.store.firestore.fleet_status import FleetSessionRecords


class FirestoreFleetStore(FleetSessionRecords):
    """Shard leases, sessions, watermarks, chats, bot status and notices in Firestore."""

    async def shards(self, expiring_before: datetime) -> list[Lease]:
        """Return shards with sessions whose lease ends before the time (or was never taken)."""
        query = self._db.collection("shards").where(
            filter=FieldFilter("expires", "<", expiring_before)
        )
        found = [lease_of(int(doc.id), doc.to_dict() or {}) async for doc in stream(query)]
        return sorted((s for s in found if s.sessions > 0), key=lambda s: s.shard)

    async def acquire(
        self, shard: int, owner: str, now: datetime, timing: LeaseTiming
    ) -> Lease | None:
        """Take the shard in a transaction if the rules allow it now; None if it is held."""
        ref = self._db.document("shards", str(shard))

        async def work(transaction: AsyncTransaction) -> Lease | None:
            snap = await ref.get(transaction=transaction)
            current = lease_of(shard, snap.to_dict() or {}) if snap.exists else None
            if current is not None and current.owner == owner:
                return None
            if not rules.can_acquire(current, owner, now, timing):
                return None
            lease = rules.acquired(current, shard, owner, now, timing)
            fields = {"owner": owner, "epoch": lease.epoch, "expires": lease.expires}
            transaction.set(ref, fields, merge=True)
            sessions = 0 if current is None else current.sessions
            return Lease(**{**lease_fields(lease), "sessions": sessions})

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
                current = lease_of(shard, snap.to_dict() or {}) if snap.exists else None
                if current is not None and rules.still_held(current, owner, held[shard]):
                    transaction.update(refs[shard], {"expires": until})
                    kept[shard] = Lease(**{**lease_fields(current), "expires": until})
            return kept

        return await self._transact(work) if refs else {}

    async def release(self, held: Mapping[int, int], owner: str, now: datetime) -> None:
        """Hand back, in one transaction, the leases still held by (owner, epoch)."""
        refs = [self._db.document("shards", str(shard)) for shard in sorted(held)]

        async def work(transaction: AsyncTransaction) -> None:
            for snap in await self._get_all(refs, transaction):
                current = lease_of(int(snap.id), snap.to_dict() or {}) if snap.exists else None
                if current is not None and rules.still_held(current, owner, held[current.shard]):
                    transaction.update(snap.reference, {"owner": "", "expires": now})

        if refs:
            await self._transact(work)

    async def sessions(self, shards: Sequence[int]) -> list[SessionLink]:
        """Return the linked sessions of these shards, each with the chats its user follows."""
        wanted = sorted(set(shards))
        users: list[tuple[str, int]] = []
        for start in range(0, len(wanted), IN_LIMIT):
            chunk = wanted[start : start + IN_LIMIT]
            query = self._db.collection("sessions").where(filter=FieldFilter("shard", "in", chunk))
            async for doc in stream(query):
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
        result = await call(lambda: aggregate.get())
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
            transaction.set(self._status(user), health_doc(health))
            for ref in self._event_refs(user):
                transaction.set(ref, notice_doc(notice))
            return True

        return await self._transact(work)

    async def unlink_session(self, user_id: str) -> None:
        """Delete the session, its watermarks, readable chats and status; uncount it, atomically."""
        session = self._db.document("sessions", user_id)
        owned = (session.collection("watermarks"), self._db.collection("users", user_id, "chats"))

        async def work(transaction: AsyncTransaction) -> None:
            before = await session.get(transaction=transaction)
            docs = [d for c in owned for d in await c.get(transaction=typed(transaction))]
            data = before.to_dict() or {}
            if before.exists and data.get("state") == "linked":
                shard = self._db.document("shards", str(int(data["shard"])))
                transaction.update(shard, {"sessions": firestore.Increment(-1)})
            for ref in (session, self._status(user_id), *(d.reference for d in docs)):
                transaction.delete(ref)

        await self._transact(work)

    async def _followed(self, user_id: str) -> tuple[str, ...]:
        query = self._db.collection("users", user_id, "channels")
        # The pipeline's store keeps the chat id in the document (its id may be escaped).
        found = [str((doc.to_dict() or {}).get("chat_id", doc.id)) async for doc in stream(query)]
        return tuple(sorted(found))


if TYPE_CHECKING:
    from signal_copier.core.ports import FleetStore

    _conforms: FleetStore = FirestoreFleetStore(firestore.AsyncClient())
