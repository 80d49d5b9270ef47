"""Ports of delivery and secrets: the queue between stages, a message source, the vault."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from signal_copier.core.model import RawMessage


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """One payload to publish, with string attributes (trace id, user, chat, epoch)."""

    payload: dict[str, Any]
    attributes: Mapping[str, str] = field(default_factory=dict)


class Queue(Protocol):
    """At-least-once delivery of JSON payloads to a topic's consumer, in no particular order.

    There are no ordering keys: consumers must be correct for any order and any number of
    deliveries (ARCHITECTURE.md, "Cloud delivery").
    """

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Send one payload; consumers must tolerate duplicates and any order."""
        ...

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Send many payloads (a fan-out); every one is sent, or the call raises."""
        ...


class Vault(Protocol):
    """Encrypted secrets at rest (broker tokens, Telegram sessions)."""

    async def put(self, name: str, secret: bytes) -> None:
        """Encrypt and store a secret."""
        ...

    async def get(self, name: str) -> bytes | None:
        """Return a decrypted secret, or None if there is none."""
        ...

    async def delete(self, name: str) -> None:
        """Remove a secret."""
        ...


class MessageSource(Protocol):
    """Telegram messages in the order they happened (live or replayed)."""

    def messages(self) -> AsyncIterator[RawMessage]:
        """Yield messages as they arrive."""
        ...


# ─── The dashboard's ports (issue 11): what the API needs beyond `Store` ────────────────────────
# Kept apart from the pipeline's ports above; the stores serve `WebStore` from their own modules
# (store/sqlite/web.py, store/firestore/web.py).
