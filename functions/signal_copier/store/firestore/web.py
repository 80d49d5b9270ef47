"""The `WebStore` port on Firestore (google.cloud.firestore.AsyncClient).

Documents (server-only unless firestore.rules says otherwise):
- `audit/{auto}` and `users/{uid}/activity/{auto}`: AuditEvent fields, `at` a timestamp, `seq`
  this store's increasing write number (events of one `at` are listed newest written first,
  as SQLite lists its rows).
- `auth_nonces/{sha256(nonce)}`: {data, expires}; `ratelimits/{sha256(key)}`: {window, hits,
  expires} — `expires` is the field a Firestore TTL policy deletes them by.
- `users/{uid}/web/profile`: Profile; `users/{uid}/bot/status`: BotStatus;
  `users/{uid}/chats/{chatId}`: ChatInfo (the last two written by the listener owning the session).
- `chats/{chatId}/log/{chat:msg:version}`: `log_document(entry)`, written by on_message.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core import codec
from signal_copier.core.dashboard import AuditEvent, BotStatus, ChatInfo, LogEntry, Profile
from signal_copier.core.errors import InvalidInput, StoreUnavailable
from signal_copier.store import StoreCorrupt

# Google API errors → what the caller must do (anything else propagates).
_ERRORS: tuple[tuple[type[Exception], type[Exception]], ...] = (
    (gexc.ServiceUnavailable, StoreUnavailable),
    (gexc.DeadlineExceeded, StoreUnavailable),
    (gexc.Aborted, StoreUnavailable),
    (gexc.InvalidArgument, InvalidInput),
)


def log_document(entry: LogEntry) -> dict[str, Any]:
    """Return the signal-log document of one message version (`chats/{chat}/log/{key}`)."""
    return codec.to_dict(entry)


class FirestoreWebStore:
    """The dashboard's documents on one AsyncClient (create it inside the serving loop)."""

    def __init__(self, client: firestore.AsyncClient) -> None:
        self._db = client
        self._seq = 0

    async def add_audit(self, event: AuditEvent) -> None:
        """Write the audit record and the user's activity line in one batch."""
        self._seq = max(self._seq + 1, time.time_ns())
        data = {**codec.to_dict(event), "at": event.at, "seq": self._seq}
        batch = self._db.batch()
        batch.set(self._db.collection("audit").document(), data)
        batch.set(self._user(event.user_id).collection("activity").document(), data)
        await _run(batch.commit())

    async def activity(self, user_id: str, limit: int = 50) -> list[AuditEvent]:
        """Return the user's activity, newest first (of one time, the last written first)."""
        events = self._user(user_id).collection("activity")
        newest = events.order_by("at", direction=firestore.Query.DESCENDING).limit(limit)
        found = [snap.to_dict() or {} async for snap in newest.stream()]
        if found and len(found) == limit:  # more events of the last one's time may lie past it
            edge = found[-1].get("at")
            ties = events.where(filter=FieldFilter("at", "==", edge))
            found = [d for d in found if d.get("at") != edge]
            found += [snap.to_dict() or {} async for snap in ties.stream()]
        found.sort(key=lambda data: (data.get("at"), _seq_of(data)), reverse=True)
        return [_decode(AuditEvent, _iso_at(data)) for data in found[:limit]]

    async def put_nonce(self, nonce: str, data: dict[str, str], expires: datetime) -> None:
        """Store a one-time value under its hash until `expires`."""
        ref = self._db.collection("auth_nonces").document(_hash(nonce))
        await _run(ref.set({"data": dict(data), "expires": expires}))

    async def take_nonce(self, nonce: str, now: datetime) -> dict[str, str] | None:
        """Delete and return a live one-time value in a transaction."""
        ref = self._db.collection("auth_nonces").document(_hash(nonce))

        @firestore.async_transactional
        async def take(tx: firestore.AsyncTransaction) -> dict[str, Any] | None:
            snap = await ref.get(transaction=tx)
            if not snap.exists:
                return None
            tx.delete(ref)
            return snap.to_dict()

        found = await _run(take(self._db.transaction()))
        if found is None or found["expires"] <= now:
            return None
        return {str(k): str(v) for k, v in found.get("data", {}).items()}

    async def use_once(self, key: str, now: datetime, expires: datetime) -> bool:
        """Mark `key` used until `expires`; False if it already is.

        The first use is a create, not a transaction: racing uses never contend for a lock (one
        creates the document, the others find it); only a key used before reads and rewrites.
        """
        ref = self._db.collection("auth_nonces").document(_hash(key))
        try:
            await _run(ref.create({"data": {}, "expires": expires}))
            return True
        except gexc.AlreadyExists:
            pass  # used before: usable again only once that use expired

        @firestore.async_transactional
        async def use(tx: firestore.AsyncTransaction) -> bool:
            snap = await ref.get(transaction=tx)
            if snap.exists and (snap.to_dict() or {}).get("expires", now) > now:
                return False
            tx.set(ref, {"data": {}, "expires": expires})
            return True

        return bool(await _run(use(self._db.transaction())))

    async def hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Count one hit in the fixed window holding `now` (a transaction per hit)."""
        ref = self._db.collection("ratelimits").document(_hash(key))
        size = window.total_seconds()
        start = int(now.timestamp() // size)

        @firestore.async_transactional
        async def count(tx: firestore.AsyncTransaction) -> int:
            snap = await ref.get(transaction=tx)
            old = (snap.to_dict() if snap.exists else None) or {}
            hits = int(old.get("hits", 0)) + 1 if old.get("window") == start else 1
            expires = now + timedelta(seconds=size * (start + 1) - now.timestamp())
            tx.set(ref, {"window": start, "hits": hits, "expires": expires})
            return hits

        return int(await _run(count(self._db.transaction())))

    async def signal_log(
        self, chat_id: str, before: int | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Return a chat's log, newest first (index: message_id desc, version desc)."""
        query = self._db.collection("chats").document(chat_id).collection("log")
        if before is not None:
            query = query.where(filter=firestore.FieldFilter("message_id", "<", before))
        query = query.order_by("message_id", direction=firestore.Query.DESCENDING)
        query = query.order_by("version", direction=firestore.Query.DESCENDING).limit(limit)
        return [
            _decode(LogEntry, {**snap.to_dict(), "key": snap.id}) async for snap in query.stream()
        ]

    async def bot_status(self, user_id: str) -> BotStatus | None:
        """Return `users/{uid}/bot/status`, if a listener wrote it."""
        snap = await _run(self._user(user_id).collection("bot").document("status").get())
        return _decode(BotStatus, snap.to_dict()) if snap.exists else None

    async def user_chats(self, user_id: str) -> list[ChatInfo]:
        """Return `users/{uid}/chats`, by title."""
        docs = self._user(user_id).collection("chats").stream()
        chats = [_decode(ChatInfo, {**s.to_dict(), "chat_id": s.id}) async for s in docs]
        return sorted(chats, key=lambda c: (c.title.lower(), c.chat_id))

    async def profile(self, user_id: str) -> Profile:
        """Return `users/{uid}/web/profile`, or an empty profile."""
        snap = await _run(self._profile(user_id).get())
        return _decode(Profile, snap.to_dict()) if snap.exists else Profile(user_id=user_id)

    async def put_profile(self, profile: Profile) -> None:
        """Replace `users/{uid}/web/profile`."""
        await _run(self._profile(profile.user_id).set(codec.to_dict(profile)))

    def _user(self, user_id: str) -> Any:
        return self._db.collection("users").document(user_id)

    def _profile(self, user_id: str) -> Any:
        return self._user(user_id).collection("web").document("profile")


async def _run(awaitable: Any) -> Any:
    try:
        return await awaitable
    except ValueError as e:  # a transaction out of attempts: contention, not a wrong answer
        if "transaction" in str(e).lower():
            raise StoreUnavailable(f"firestore: {e}") from e
        raise
    except gexc.GoogleAPICallError as e:
        ours = next((o for v, o in _ERRORS if isinstance(e, v)), None)
        if ours is None:
            raise
        raise ours(f"firestore: {e.message}") from e


def _decode(cls: type[Any], data: Any) -> Any:
    try:
        return codec.from_dict(cls, data)
    except InvalidInput as e:
        raise StoreCorrupt(f"{cls.__name__}: unreadable document ({e})") from e


def _iso_at(data: dict[str, Any]) -> dict[str, Any]:
    at = data.get("at")
    return {**data, "at": at.isoformat()} if isinstance(at, datetime) else data


def _seq_of(data: dict[str, Any]) -> int:
    seq = data.get("seq")  # events written before `seq` was kept count as written first
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else 0


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
