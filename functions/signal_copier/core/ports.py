"""Ports: what services need from the outside world, shaped for SQLite and Firestore alike.

Every state change that must not happen twice is one atomic call (a SQLite transaction or a
Firestore transaction): remembering a message, claiming an intent, reserving quota.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from signal_copier.core.market import (
    AccountInfo,
    Credentials,
    Deal,
    PendingOrder,
    Position,
    Quote,
    SymbolSpec,
)
from signal_copier.core.model import Fill, OrderRequest, RawMessage
from signal_copier.core.records import (
    Claim,
    MessageRecord,
    Subscription,
    TradeRecord,
    Usage,
    UserRecord,
)


class Store(Protocol):
    """Durable state. Methods named as atomic are single transactions."""

    async def remember_message(self, record: MessageRecord) -> bool:
        """Atomically store a message version; return False if its key was already stored."""
        ...

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Note that a message's intents were all published (a redelivery need not redo it)."""
        ...

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        ...

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the newest stored version of a message, or the newest below `before`."""
        ...

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat."""
        ...

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows."""
        ...

    async def put_subscription(self, subscription: Subscription) -> None:
        """Create or replace a subscription."""
        ...

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat."""
        ...

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        ...

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user."""
        ...

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Atomically read a user, apply `change`, write the result; None if no such user.

        Concurrent writers never undo each other (a Firestore transaction retries `change`).
        """
        ...

    async def claim(self, intent_id: str, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Atomically claim an intent for `owner` until now + lease (see ClaimState)."""
        ...

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> None:
        """Mark a claimed intent done (and store its record) in one transaction.

        Only while `owner` holds the claim; afterwards redeliveries are no-ops.
        """
        ...

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End a failed attempt's lease now, so a redelivery reconciles and retries at once."""
        ...

    async def reserve_quota(
        self, user_id: str, period: str, intent_id: str, limit: int | None
    ) -> bool:
        """Atomically take one trade of the period for an intent (idempotent); False if full."""
        ...

    async def release_quota(self, user_id: str, period: str, intent_id: str) -> None:
        """Give back an intent's reservation (the trade did not happen)."""
        ...

    async def record_missed(self, user_id: str, period: str, intent_id: str) -> None:
        """Count an intent as missed for quota (idempotent)."""
        ...

    async def usage(self, user_id: str, period: str) -> Usage:
        """Return trades used and missed in a period."""
        ...

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace the record of one intent's outcome."""
        ...

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        ...

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's trade records, oldest first; only one signal's if `signal_ref`."""
        ...

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        ...


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


class BrokerAccount(Protocol):
    """One connected trading account. Errors: BrokerRejected, BrokerUnavailable, UnknownSymbol."""

    async def account_info(self) -> AccountInfo:
        """Return balance, equity and currency."""
        ...

    async def symbols(self) -> list[str]:
        """Return the broker's symbol names."""
        ...

    async def symbol_spec(self, symbol: str) -> SymbolSpec:
        """Return a symbol's specification."""
        ...

    async def quote(self, symbol: str) -> Quote:
        """Return the current bid and ask."""
        ...

    async def place(self, order: OrderRequest) -> Fill:
        """Send one order; a market order fills at once, a pending one waits."""
        ...

    async def positions(self) -> list[Position]:
        """Return the open positions."""
        ...

    async def orders(self) -> list[PendingOrder]:
        """Return the pending orders."""
        ...

    async def history(self, since: datetime) -> list[Deal]:
        """Return deals since a time (to reconcile an order whose outcome is unknown)."""
        ...

    async def modify_position(
        self, position_id: str, *, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Set a position's SL and TP (None removes the level)."""
        ...

    async def close_position(self, position_id: str, volume: Decimal | None = None) -> None:
        """Close a position in full, or `volume` lots of it."""
        ...

    async def modify_order(
        self, order_id: str, *, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP."""
        ...

    async def cancel_order(self, order_id: str) -> None:
        """Cancel a pending order."""
        ...


class Broker(Protocol):
    """Connects to trading accounts."""

    async def connect(self, credentials: Credentials) -> BrokerAccount:
        """Return a connected account (cached by the adapter)."""
        ...


class MessageSource(Protocol):
    """Telegram messages in the order they happened (live or replayed)."""

    def messages(self) -> AsyncIterator[RawMessage]:
        """Yield messages as they arrive."""
        ...
