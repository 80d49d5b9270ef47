"""Documents of the fleet's Firestore layout (see fleet.py); its calls, errors translated."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from google.cloud.firestore_v1 import AsyncTransaction

from signal_copier.core import codec
from signal_copier.core.dashboard import AuditEvent, ChatInfo
from signal_copier.core.fleet import (
    Lease,
    Notice,
    SessionHealth,
    dashboard_status,
    event_notice,
    notice_event,
)
from signal_copier.store.firestore.errors import translated

T = TypeVar("T")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def call(step: Callable[[], Awaitable[T]]) -> T:
    """Await one Firestore call, its errors translated by the adapter's one table."""
    async with translated("fleet"):
        return await step()


async def stream(query: Any) -> AsyncIterator[Any]:
    """Yield a query's documents, its errors translated by the adapter's one table."""
    async with translated("fleet"):
        async for doc in query.stream():
            yield doc


def typed(transaction: AsyncTransaction) -> Any:
    """Return the transaction typed for AsyncCollectionReference.get.

    The SDK (2.34.1) annotates that parameter with the sync Transaction, yet takes the async one
    at run time.
    """
    return transaction


def lease_of(shard: int, data: dict[str, Any]) -> Lease:
    """Return the lease a shard document holds."""
    return Lease(
        shard=shard,
        owner=str(data.get("owner", "")),
        epoch=int(data.get("epoch", 0)),
        expires=data.get("expires", EPOCH),
        sessions=int(data.get("sessions", 0)),
    )


def lease_fields(lease: Lease) -> dict[str, Any]:
    """Return a lease's fields by name."""
    return {
        "shard": lease.shard,
        "owner": lease.owner,
        "epoch": lease.epoch,
        "expires": lease.expires,
        "sessions": lease.sessions,
    }


def health_doc(health: SessionHealth) -> dict[str, Any]:
    """Return the status document: the dashboard's BotStatus and the fleet's SessionHealth."""
    # Times as timestamps (the dashboard's decoder takes them as it takes ISO strings).
    status = dashboard_status(health)
    doc: dict[str, Any] = {**codec.to_dict(status), **codec.to_dict(health)}
    doc.update(updated=health.updated, last_message_at=health.last_message_at)
    return doc


def chat_of(chat_id: str, data: dict[str, Any]) -> ChatInfo:
    """Return the readable chat a document holds."""
    return ChatInfo(
        chat_id=chat_id, title=str(data.get("title", "")), kind=str(data.get("kind", ""))
    )


def notice_doc(notice: Notice) -> dict[str, Any]:
    """Return a notice as the dashboard's AuditEvent document."""
    event = notice_event(notice)
    return {**codec.to_dict(event), "at": event.at}


def notice_of(data: dict[str, Any]) -> Notice | None:
    """Return the fleet notice an activity document holds, or None for other events."""
    at = data.get("at")
    data = {**data, "at": at.isoformat()} if isinstance(at, datetime) else data
    return event_notice(codec.from_dict(AuditEvent, data))
