"""The cloud `Auth`: Firebase ID tokens verified (revocation checked in production) and custom
tokens minted with firebase_admin, whose blocking calls run off the event loop."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Mapping
from typing import Any

import firebase_admin
from firebase_admin import App, auth

from signal_copier.core.dashboard import Caller, NotAuthenticated
from signal_copier.core.errors import CopierError, Retryable

# firebase_admin errors → what the caller must do (anything else propagates).
_ERRORS: tuple[tuple[type[Exception], type[CopierError], str], ...] = (
    (auth.RevokedIdTokenError, NotAuthenticated, "the session was revoked: sign in again"),
    (auth.UserDisabledError, NotAuthenticated, "this account is disabled"),
    (auth.ExpiredIdTokenError, NotAuthenticated, "the session expired: sign in again"),
    (auth.InvalidIdTokenError, NotAuthenticated, "the sign-in token is not valid"),
    (auth.CertificateFetchError, Retryable, "cannot fetch Firebase's signing keys"),
    (auth.TokenSignError, Retryable, "cannot sign a custom token (IAM signBlob)"),
)
_VENDOR = tuple(vendor for vendor, _, _ in _ERRORS)


class FirebaseAuth:
    """Verify Firebase ID tokens and mint custom tokens for `tg<telegram id>` users."""

    def __init__(self, app: App, *, check_revoked: bool, owns_app: bool = False) -> None:
        self._app, self._check_revoked, self._owns_app = app, check_revoked, owns_app

    @classmethod
    def for_project(cls, project: str, *, check_revoked: bool) -> FirebaseAuth:
        """Return the Auth on an app of its own (Application Default Credentials, loaded lazily).

        Custom tokens are then signed through IAM as the function's service account (it holds
        Token Creator on itself); delete the app with `aclose()`.
        """
        options = {"projectId": project}
        app = firebase_admin.initialize_app(options=options, name=f"copier-{uuid.uuid4().hex}")
        return cls(app, check_revoked=check_revoked, owns_app=True)

    @property
    def checks_revocation(self) -> bool:
        """Return whether a revoked session is refused (production)."""
        return self._check_revoked

    async def aclose(self) -> None:
        """Delete the firebase_admin app if this Auth made it."""
        if self._owns_app:
            self._owns_app = False
            await asyncio.to_thread(firebase_admin.delete_app, self._app)

    async def verify(self, token: str) -> Caller:
        """Return the verified caller (uid from the token only)."""
        if not token:
            raise NotAuthenticated("sign in first")
        try:
            claims = await asyncio.to_thread(
                auth.verify_id_token, token, self._app, self._check_revoked
            )
        except ValueError as e:  # a malformed token string
            raise NotAuthenticated("the sign-in token is not valid") from e
        except _VENDOR as e:
            raise _translated(e) from e
        return Caller(user_id=str(claims["uid"]), claims=dict(claims))

    async def mint(self, user_id: str, claims: Mapping[str, Any]) -> str:
        """Return a Firebase custom token for `user_id` with developer claims."""
        try:
            token = await asyncio.to_thread(
                auth.create_custom_token, user_id, dict(claims) or None, self._app
            )
        except _VENDOR as e:
            raise _translated(e) from e
        return bytes(token).decode()


def _translated(error: Exception) -> CopierError:
    ours, detail = next((o, d) for v, o, d in _ERRORS if isinstance(error, v))
    return ours(detail)
