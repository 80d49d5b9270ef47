"""Message versions and the history step (one transaction per chat and message).

messages/{chat:msg:version}   MessageRecord fields + expire_at (TTL: the message's date +
                              MESSAGE_RETENTION); `wait_until` set while an edit waits
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from google.api_core import exceptions as gax
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.ports import MessageBuilder
from signal_copier.core.records import MessageRecord, Remembered
from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore.client import FirestoreClient, Reader, Snapshot, Write
from signal_copier.store.firestore.encoding import record_of, to_native
from signal_copier.store.firestore.errors import translated
from signal_copier.store.firestore.schema import (
    MESSAGE_RETENTION,
    MESSAGE_VERSIONS,
    MESSAGES_UP_TO,
)


class MessageCollections(FirestoreClient):
    """Message versions of the `Store` port."""

    async def remember_message(
        self, chat_id: str, message_id: int, version: int, build: MessageBuilder
    ) -> Remembered:
        """Read a message's versions and store what `build` returns, in one transaction.

        The message's head document lists its stored versions: the step reads it, then those
        versions by reference, and writes it with every new version. Two steps on one message
        so always conflict on a document they both read and write, without relying on how a
        query read locks documents inserted into its range later (Firestore documents
        contention per document read).
        """
        key = ids.message_key(chat_id, message_id, version)
        ref, head = self.doc("messages", key), self.doc("message_heads", f"{chat_id}:{message_id}")

        async def gather(reader: Reader) -> tuple[Snapshot, tuple[MessageRecord, ...]]:
            (top,) = await reader.docs([head])
            listed = _versions(top)
            refs = [self.doc("messages", ids.message_key(chat_id, message_id, v)) for v in listed]
            stored = await reader.docs(refs)
            return top, tuple(_message(snap) for snap in stored if snap.exists)

        def decide(
            found: tuple[Snapshot, tuple[MessageRecord, ...]],
        ) -> tuple[Remembered, list[Write]]:
            top, history = found
            record = build(history)
            if record is None:
                existing = next((h for h in history if h.version == version), None)
                return Remembered(record=existing, history=history, fresh=False), []
            if record.key != key:
                raise InvalidInput(f"the builder of {key} returned a record for {record.key}")
            expire = record.date + MESSAGE_RETENTION
            data = to_native(record)
            data["expire_at"] = to_native(expire)
            listed = sorted({*_versions(top), version})
            if top.exists and isinstance(top.get("expire_at"), datetime):
                expire = max(expire, top.get("expire_at"))
            index = {"chat_id": chat_id, "message_id": message_id, "versions": listed}
            writes = [Write(ref, data), Write(head, to_native({**index, "expire_at": expire}))]
            return Remembered(record=record, history=history, fresh=True), writes

        return await self.atomically(head.path, gather, decide)

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
        found = await self.first(query.limit(1), "messages")
        return _message(found[0]) if found else None

    async def messages_up_to(self, chat_id: str, last: int, limit: int) -> list[MessageRecord]:
        """Return versions of the chat's messages up to `last`, newest first, at most `limit`."""
        if limit < 1:
            return []
        query = MESSAGES_UP_TO.build(self.db.collection("messages"), chat_id)
        query = query.where(filter=FieldFilter("message_id", "<=", last)).limit(limit)
        return [_message(snap) for snap in await self.first(query, "messages")]

    async def waiting_messages(self, due: datetime, limit: int) -> list[MessageRecord]:
        """Return versions waiting for their original whose wait ends at or before `due`."""
        if limit < 1:
            return []
        query = (
            self.db.collection("messages")
            .where(filter=FieldFilter("wait_until", "<=", to_native(due)))
            .order_by("wait_until")
            .limit(limit)
        )
        return [_message(snap) for snap in await self.first(query, "messages")]


def _versions(head: Snapshot) -> list[int]:
    if not head.exists:
        return []
    listed = (head.to_dict() or {}).get("versions")
    if not isinstance(listed, list) or not all(type(v) is int for v in listed):
        raise StoreCorrupt(f"{head.reference.path}: versions is not a list of integers")
    return sorted(listed)


def _message(snap: Snapshot) -> MessageRecord:
    return record_of(MessageRecord, snap.to_dict(), snap.reference.path)
