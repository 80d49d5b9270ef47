"""The Store's users: their records, channel subscriptions, trade holders and broker accounts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol

from signal_copier.core.records import (
    Subscription,
    UserRecord,
)


class UserStore(Protocol):
    """Users, subscriptions, the holders of a chat's trades, and who owns each broker account."""

    # Users, subscriptions and broker accounts.

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        ...

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user."""
        ...

    async def create_user(self, user: UserRecord) -> bool:
        """Atomically create a user; False (and nothing written) if the user exists."""
        ...

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Atomically read a user, apply `change`, write the result; None if no such user.

        Concurrent writers never undo each other (a Firestore transaction retries `change`).
        """
        ...

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id (paged by the adapter)."""
        ...

    def subscriber_pages(self, chat_id: str) -> AsyncIterator[list[Subscription]]:
        """Yield a chat's subscribers page by page, by user id (a fan-out of any size)."""
        ...

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        ...

    async def subscription(self, user_id: str, chat_id: str) -> Subscription | None:
        """Return one subscription, or None if the user does not follow the chat."""
        ...

    async def add_subscription(self, subscription: Subscription, limit: int | None) -> bool:
        """Atomically follow a chat (or replace its overrides, keeping `since`).

        False, and nothing written, when the user already follows `limit` other chats.
        """
        ...

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed)."""
        ...

    async def add_holder(self, chat_id: str, user_id: str) -> None:
        """Note that a user holds trades a chat opened (its follow-ups reach them anyway)."""
        ...

    async def holders(self, chat_id: str) -> list[str]:
        """Return the users holding trades a chat opened, by user id."""
        ...

    async def remove_holder(self, chat_id: str, user_id: str) -> None:
        """Forget that a user holds trades a chat opened (none are left)."""
        ...

    async def claim_account(self, account_id: str, user_id: str) -> bool:
        """Atomically make a broker account the user's; False if another user holds it."""
        ...

    async def account_owner(self, account_id: str) -> str | None:
        """Return the user a broker account belongs to, or None."""
        ...

    async def release_account(self, account_id: str, user_id: str) -> None:
        """Give up a broker account (only its owner can)."""
        ...
