"""A `TelegramLogin` that needs no Telegram: for `serve` on replayed channels, and for tests.

It behaves like the real flow's outcomes: a code must be sent before it is checked, a wrong
code or password is refused, and after `max_attempts` wrong tries Telegram's flood wait is
simulated. `serve` prints the code it "sent", as Telegram would show it in the app, and
passes `on_linked` to list the replay's chats again after a user unlinked and linked anew (the
listener's part, which `serve` plays itself).
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from signal_copier.core.dashboard import (
    FloodWait,
    LoginStage,
    LoginStep,
    NoLoginInProgress,
    WrongCode,
    WrongPassword,
)
from signal_copier.core.errors import InvalidInput

_PHONE = re.compile(r"^\+[1-9][0-9]{6,14}$")


@dataclass
class _Pending:
    phone: str
    code_ok: bool = False
    failures: int = 0


class OfflineTelegramLogin:
    """Accept `code` (and `password`, when set) for any phone number."""

    def __init__(
        self,
        *,
        code: str = "12345",
        password: str | None = None,
        max_attempts: int = 3,
        on_linked: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.code, self._password, self._max = code, password, max_attempts
        self._on_linked = on_linked
        self._pending: dict[str, _Pending] = {}
        self.linked: dict[str, str] = {}  # user id → phone
        self.logged_out: list[str] = []  # users whose session was logged out, in order

    async def send_code(self, user_id: str, phone: str) -> LoginStep:
        """Start a login for a phone number in international form."""
        if not _PHONE.match(phone):
            raise InvalidInput("phone: use the international form, e.g. +447700900123")
        self._pending[user_id] = _Pending(phone=phone)
        return LoginStep(stage=LoginStage.CODE_SENT, hint=f"the code was sent to {phone[:4]}…")

    async def submit_code(self, user_id: str, code: str) -> LoginStep:
        """Check the code; then linked, or the 2FA password is needed."""
        pending = self._waiting(user_id)
        if not hmac.compare_digest(code.strip().encode(), self.code.encode()):
            self._fail(pending)
            raise WrongCode("the code is wrong: check the Telegram app and type it again")
        pending.code_ok = True
        if self._password is not None:
            return LoginStep(stage=LoginStage.PASSWORD_NEEDED, hint="your 2FA password")
        return await self._link(user_id, pending)

    async def submit_password(self, user_id: str, password: str) -> LoginStep:
        """Check the two-step verification password."""
        pending = self._waiting(user_id)
        if not pending.code_ok or self._password is None:
            raise NoLoginInProgress("enter the login code first")
        if not hmac.compare_digest(password.encode(), self._password.encode()):
            self._fail(pending)
            raise WrongPassword("the 2FA password is wrong: type it again")
        return await self._link(user_id, pending)

    async def cancel(self, user_id: str) -> None:
        """Forget a pending login."""
        self._pending.pop(user_id, None)

    async def log_out(self, user_id: str, session: bytes) -> bool:
        """Forget the linked phone, as Telegram forgets a logged-out session."""
        self.linked.pop(user_id, None)
        self.logged_out.append(user_id)
        return True

    def _waiting(self, user_id: str) -> _Pending:
        pending = self._pending.get(user_id)
        if pending is None:
            raise NoLoginInProgress("no login in progress: enter your phone number first")
        if pending.failures >= self._max:
            raise FloodWait(60)
        return pending

    def _fail(self, pending: _Pending) -> None:
        pending.failures += 1

    async def _link(self, user_id: str, pending: _Pending) -> LoginStep:
        self.linked[user_id] = pending.phone
        del self._pending[user_id]
        if self._on_linked is not None:
            await self._on_linked(user_id)
        return LoginStep(stage=LoginStage.LINKED)
