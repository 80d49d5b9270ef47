"""The dashboard's ports: its store, the Telegram login flow, and request authentication."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from signal_copier.core.dashboard import (
    AuditEvent,
    BotStatus,
    Caller,
    ChatInfo,
    LogEntry,
    LoginStep,
    Profile,
)


class WebStore(Protocol):
    """Audit, login state, rate limits, the signal log, chats and bot health, the profile.

    Account ownership (one broker account, one user) is the `Store`'s `claim_account`.
    """

    async def add_audit(self, event: AuditEvent) -> None:
        """Record an event in the server-only audit trail and in the user's activity."""
        ...

    async def activity(self, user_id: str, limit: int = 50) -> list[AuditEvent]:
        """Return the user's own activity, newest first."""
        ...

    async def put_nonce(self, nonce: str, data: dict[str, str], expires: datetime) -> None:
        """Store a one-time value (login nonce, PKCE verifier, login link) until `expires`."""
        ...

    async def take_nonce(self, nonce: str, now: datetime) -> dict[str, str] | None:
        """Atomically consume a one-time value; None if unknown, used or expired."""
        ...

    async def use_once(self, key: str, now: datetime, expires: datetime) -> bool:
        """Atomically mark `key` used until `expires`; False if it already is (a replay)."""
        ...

    async def hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Atomically count one hit on `key` in the current window; return the count so far."""
        ...

    async def signal_log(
        self, chat_id: str, before: int | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Return a chat's message versions, newest first (message ids below `before`)."""
        ...

    async def bot_status(self, user_id: str) -> BotStatus | None:
        """Return the health of the user's Telegram session, if a listener reported it."""
        ...

    async def user_chats(self, user_id: str) -> list[ChatInfo]:
        """Return the chats the user's Telegram session can read."""
        ...

    async def profile(self, user_id: str) -> Profile:
        """Return the user's dashboard profile (defaults when none is stored)."""
        ...

    async def put_profile(self, profile: Profile) -> None:
        """Create or replace the user's dashboard profile."""
        ...


class TelegramLogin(Protocol):
    """Link a user's Telegram account: phone → code → (2FA password) → linked.

    Each step returns the next one, or raises a `TelegramLoginRejected` subclass saying why
    (wrong or expired code, wrong password, flood wait with seconds, payment or login email
    required, no login in progress).
    """

    async def send_code(self, user_id: str, phone: str) -> LoginStep:
        """Ask Telegram to send a login code to the phone's Telegram app."""
        ...

    async def submit_code(self, user_id: str, code: str) -> LoginStep:
        """Submit the code; the next step is linked, or the 2FA password."""
        ...

    async def submit_password(self, user_id: str, password: str) -> LoginStep:
        """Submit the two-step verification password."""
        ...

    async def cancel(self, user_id: str) -> None:
        """Forget a pending login."""
        ...

    async def log_out(self, user_id: str, session: bytes) -> bool:
        """Log a stored session out at Telegram (its key stops working); False if not reached."""
        ...


class Auth(Protocol):
    """Verifies the dashboard's bearer tokens and mints sign-in tokens."""

    async def verify(self, token: str) -> Caller:
        """Return the caller a token proves; NotAuthenticated if it proves nothing."""
        ...

    async def mint(self, user_id: str, claims: Mapping[str, Any]) -> str:
        """Return a token the dashboard signs in with (a Firebase custom token in the cloud)."""
        ...


# --- The listener fleet (issue 10): leases, sessions, Telegram login, scaling -------------------
# Kept apart from the pipeline's ports above: the fleet's store methods are their own Protocol,
# served by the same adapters (store/sqlite/fleet.py, store/firestore/fleet.py).
