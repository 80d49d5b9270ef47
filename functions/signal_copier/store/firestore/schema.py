"""What the Firestore store asks of the database: its composite queries and its TTL fields.

`COMPOSITE_QUERIES` is the one list of queries that need a composite index; the adapter builds
those queries only from these declarations, and a test checks that `firestore.indexes.json`
holds an index for each (the emulator runs any query without one, so only that test catches a
missing index). Every other query is one equality or `in` filter, or one order: single-field
indexes, which Firestore makes by itself.

`TTL_FIELDS` are Timestamps after which Firestore's TTL policy may delete the document
(declared in Terraform, `google_firestore_field` with a `ttl_config`, and best exempted from
single-field indexing there too: a TTL field only grows). Deletion runs within about a day of
`expire_at`; nothing relies on a document being gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from google.cloud.firestore_v1.async_query import AsyncQuery
from google.cloud.firestore_v1.base_query import FieldFilter

ASCENDING, DESCENDING = "ASCENDING", "DESCENDING"

# Message history outlives any trade a follow-up can still act on (max follow-up age: 30 days).
MESSAGE_RETENTION = timedelta(days=35)
# Claims outlive Pub/Sub's 7-day retention plus retries: a late redelivery still finds DONE.
INTENT_RETENTION = timedelta(days=10)
TTL_FIELDS: tuple[tuple[str, str], ...] = (
    ("messages", "expire_at"),  # the message's date + MESSAGE_RETENTION
    ("message_heads", "expire_at"),  # the latest of its versions' expire_at
    ("intents", "expire_at"),  # the latest claim or finish + INTENT_RETENTION
)


@dataclass(frozen=True, slots=True)
class CompositeQuery:
    """A query on one collection: equality filters (`in` for a tuple of values), then orders
    (a range only on the first)."""

    collection: str  # the collection group id (the last segment of the collection's path)
    equal: tuple[str, ...]
    order: tuple[tuple[str, str], ...]
    scope: str = "COLLECTION"  # or COLLECTION_GROUP: every collection of that id at once

    def build(self, base: Any, *values: Any) -> AsyncQuery:
        """Return the query on `base` (a collection or group) with one value per equality field.

        A tuple of values is an `in` filter (at most 30 values), served by the same index.
        """
        query = base
        for name, value in zip(self.equal, values, strict=True):
            op = "in" if isinstance(value, tuple) else "=="
            query = query.where(filter=FieldFilter(name, op, value))
        for name, direction in self.order:
            query = query.order_by(name, direction=direction)
        return query  # type: ignore[no-any-return]

    def index(self) -> dict[str, Any]:
        """Return this query's index as firestore.indexes.json writes it."""
        fields = [{"fieldPath": name, "order": ASCENDING} for name in self.equal]
        fields += [{"fieldPath": name, "order": direction} for name, direction in self.order]
        return {"collectionGroup": self.collection, "queryScope": self.scope, "fields": fields}


# messages where chat_id == and message_id == [and version < before] order by version desc
# (the history step reads the same query and reverses it)
MESSAGE_VERSIONS = CompositeQuery("messages", ("chat_id", "message_id"), (("version", DESCENDING),))
# messages where chat_id == and message_id <= last order by message_id desc, version desc
# (a follow-up's walk back through the messages posted before it)
MESSAGES_UP_TO = CompositeQuery(
    "messages", ("chat_id",), (("message_id", DESCENDING), ("version", DESCENDING))
)
# users/{uid}/trades order by recorded_at, seq (oldest first; seq = first save)
TRADES_OLDEST_FIRST = CompositeQuery("trades", (), (("recorded_at", ASCENDING), ("seq", ASCENDING)))
# users/{uid}/trades where signal_ref == order by recorded_at, seq
SIGNAL_TRADES_OLDEST_FIRST = CompositeQuery(
    "trades", ("signal_ref",), (("recorded_at", ASCENDING), ("seq", ASCENDING))
)
# every user's trades where due_at <= now order by due_at, seq (the sweep)
TRADES_DUE = CompositeQuery(
    "trades", (), (("due_at", ASCENDING), ("seq", ASCENDING)), scope="COLLECTION_GROUP"
)
# intents where state == in_flight and intent.kind in (every kind the intents topic carries)
# and lease_until <= now order by lease_until (the sweep; management intents left out)
EXPIRED_CLAIMS = CompositeQuery("intents", ("state", "intent.kind"), (("lease_until", ASCENDING),))
# chats/{chatId}/log [where message_id < before] order by message_id desc, version desc
# (built by web.FirestoreWebStore.signal_log; declared here so its index is checked too)
SIGNAL_LOG = CompositeQuery("log", (), (("message_id", DESCENDING), ("version", DESCENDING)))
COMPOSITE_QUERIES: tuple[CompositeQuery, ...] = (
    MESSAGE_VERSIONS,
    MESSAGES_UP_TO,
    TRADES_OLDEST_FIRST,
    SIGNAL_TRADES_OLDEST_FIRST,
    TRADES_DUE,
    EXPIRED_CLAIMS,
    SIGNAL_LOG,
)
