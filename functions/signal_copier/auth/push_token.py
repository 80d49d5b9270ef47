"""Pub/Sub push authentication: the OIDC token Pub/Sub signs for each push subscription.

Checked in the handler itself (not only by the platform's invoker IAM): Google's signature
against its JWKS (cached, fetched again when a token names an unknown key), the issuer, the
audience of this endpoint's own subscription, and the service account Pub/Sub signs as.
"""

from __future__ import annotations

import asyncio
from typing import Any

import jwt

ISSUERS = ("https://accounts.google.com", "accounts.google.com")
_ALGORITHMS = ["RS256"]


class PushRefused(Exception):
    """The request carries no acceptable push token; `status` is the HTTP answer (401/403/503)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status


class PushTokenVerifier:
    """Verify push tokens: signed by Google, for `<audience>/<entry point>`, by one account."""

    def __init__(
        self,
        *,
        jwks_url: str,
        audience: str,
        service_account: str,
        leeway_s: float = 30.0,
        refresh_cooldown_s: float = 30.0,
    ) -> None:
        if not audience or not service_account:
            raise ValueError("push tokens need an audience and a service account to check")
        self._audience = audience.rstrip("/")
        self._account = service_account
        self._leeway = leeway_s
        # The key set is cached for an hour and fetched again for an unknown key id, at most
        # once per cool-down (a flood of made-up key ids cannot hammer Google's endpoint).
        self._keys = jwt.PyJWKClient(
            jwks_url, lifespan=3600, timeout=10, cooldown_duration=refresh_cooldown_s
        )

    def audience(self, entry: str) -> str:
        """Return the audience a push subscription to `entry` signs its tokens for."""
        return f"{self._audience}/{entry}"

    async def verify(self, authorization: str | None, entry: str) -> dict[str, Any]:
        """Return the token's claims, or raise PushRefused saying why and with which status."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise PushRefused(401, "no bearer token")
        token = token.strip()
        try:  # the JWKS fetch is blocking urllib: off the event loop
            key = await asyncio.to_thread(self._keys.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError as e:
            raise PushRefused(503, "cannot fetch Google's signing keys now") from e
        except (jwt.PyJWKClientError, jwt.DecodeError) as e:
            raise PushRefused(401, f"unusable token: {type(e).__name__}") from e
        claims = self._decode(token, key.key, entry)
        if claims.get("email") != self._account or claims.get("email_verified") is not True:
            raise PushRefused(403, "token of another service account")
        return claims

    def _decode(self, token: str, key: Any, entry: str) -> dict[str, Any]:
        try:
            return jwt.decode(
                token,
                key,
                algorithms=_ALGORITHMS,
                audience=self.audience(entry),
                issuer=ISSUERS,
                leeway=self._leeway,
                options={"require": ["exp", "iat", "iss", "aud"]},
            )
        except jwt.InvalidAudienceError as e:
            raise PushRefused(403, "token for another endpoint's subscription") from e
        except jwt.InvalidTokenError as e:
            raise PushRefused(401, f"invalid token: {type(e).__name__}") from e
