"""Local mode's `Auth`: one-time login links and opaque session tokens, kept in memory.

`signal-copier serve` prints a link whose one-time code becomes a session token in the browser;
nothing here leaves the process, so a restart signs everyone out (print a new link).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from signal_copier.core.dashboard import Caller, NotAuthenticated


class LocalAuth:
    """Sessions for the local user(s) of one `serve` process."""

    def __init__(self) -> None:
        self._links: dict[str, str] = {}  # sha256(code) → user id, each usable once
        self._sessions: dict[str, str] = {}  # sha256(token) → user id

    def issue_link(self, user_id: str) -> str:
        """Return a one-time code that signs `user_id` in."""
        code = secrets.token_urlsafe(24)
        self._links[_digest(code)] = user_id
        return code

    async def redeem(self, code: str) -> str:
        """Trade a one-time code for a session token; NotAuthenticated if used or unknown."""
        user_id = self._links.pop(_digest(code), None)
        if user_id is None:
            raise NotAuthenticated("this login link was already used or is unknown")
        return await self.mint(user_id, {})

    async def verify(self, token: str) -> Caller:
        """Return the caller a session token belongs to."""
        user_id = self._sessions.get(_digest(token))
        if user_id is None:
            raise NotAuthenticated("sign in again: the session is unknown")
        return Caller(user_id=user_id)

    async def mint(self, user_id: str, claims: Mapping[str, Any]) -> str:
        """Return a new session token for `user_id`."""
        token = secrets.token_urlsafe(32)
        self._sessions[_digest(token)] = user_id
        return token


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
