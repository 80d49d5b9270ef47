"""Log In With Telegram (OpenID Connect, Authorization Code + PKCE), verified with PyJWT.

The ID token is checked against Telegram's JWKS (cached; fetched again for an unknown `kid`, at
most once per `refresh_every`), with issuer, audience (the bot's client id), expiry and nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from signal_copier.core.dashboard import NotAuthenticated
from signal_copier.core.errors import Retryable

ISSUER = "https://oauth.telegram.org"
ALGORITHMS = ["RS256", "ES256", "EdDSA"]
_ID = re.compile(r"^[1-9][0-9]{0,19}$")


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcConfig:
    """The bot's OIDC client (client id = the bot id) and where Telegram answers."""

    client_id: str
    client_secret: str
    redirect_uri: str
    issuer: str = ISSUER
    leeway_s: int = 30
    refresh_every_s: float = 30.0

    def __repr__(self) -> str:
        return f"OidcConfig(client_id={self.client_id!r}, client_secret=***)"


@dataclass(frozen=True, slots=True, kw_only=True)
class Challenge:
    """One login attempt: what the browser is sent to, and what the server keeps (TTL)."""

    url: str
    state: str
    nonce: str
    verifier: str


class TelegramOidc:
    """Build authorization URLs, exchange codes and verify ID tokens."""

    def __init__(self, config: OidcConfig, http: httpx.AsyncClient) -> None:
        self.config, self._http = config, http
        self._keys: jwt.PyJWKSet | None = None
        self._fetched = float("-inf")

    def use_client_secret(self, client_secret: str) -> None:
        """Exchange codes with this client secret from now on (it was rotated)."""
        if client_secret != self.config.client_secret:
            self.config = replace(self.config, client_secret=client_secret)

    def challenge(self) -> Challenge:
        """Return a fresh state, nonce and PKCE verifier with the authorization URL."""
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode()).digest()
        query = {
            "client_id": self.config.client_id,
            "redirect_uri": self.config.redirect_uri,
            "response_type": "code",
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": base64.urlsafe_b64encode(digest).rstrip(b"=").decode(),
            "code_challenge_method": "S256",
        }
        url = f"{self.config.issuer}/auth?{urlencode(query)}"
        return Challenge(url=url, state=state, nonce=nonce, verifier=verifier)

    async def exchange(self, code: str, verifier: str) -> str:
        """Trade an authorization code (with its PKCE verifier) for the ID token."""
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.config.redirect_uri,
            "client_id": self.config.client_id,
            "code_verifier": verifier,
        }
        auth = (self.config.client_id, self.config.client_secret)
        try:
            answer = await self._http.post(f"{self.config.issuer}/token", data=form, auth=auth)
        except httpx.HTTPError as e:
            raise Retryable("telegram login: the token endpoint is unreachable") from e
        if answer.status_code != 200:
            raise NotAuthenticated("telegram login: the code was refused; log in again")
        token = _json(answer).get("id_token")
        if not isinstance(token, str):
            raise NotAuthenticated("telegram login: no id_token in the answer")
        return token

    async def verify(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Return the token's claims after every check; NotAuthenticated names the failure."""
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
            key = await self._key(str(kid))
            claims = jwt.decode(
                id_token,
                key,
                algorithms=ALGORITHMS,
                audience=self.config.client_id,
                issuer=self.config.issuer,
                leeway=self.config.leeway_s,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise NotAuthenticated(f"telegram login: {type(e).__name__}") from e
        if not hmac.compare_digest(str(claims.get("nonce", "")), nonce):
            raise NotAuthenticated("telegram login: the nonce does not match")
        return claims

    async def _key(self, kid: str) -> jwt.PyJWK:
        if self._keys is None or not _has(self._keys, kid):
            await self._refresh()
        if self._keys is None or not _has(self._keys, kid):
            raise NotAuthenticated("telegram login: unknown signing key")
        return self._keys[kid]

    async def _refresh(self) -> None:
        if time.monotonic() - self._fetched < self.config.refresh_every_s:
            return  # a forged kid must not make every request fetch the keys
        self._fetched = time.monotonic()
        try:
            answer = await self._http.get(f"{self.config.issuer}/.well-known/jwks.json")
            answer.raise_for_status()
            self._keys = jwt.PyJWKSet.from_dict(_json(answer))
        except (httpx.HTTPError, jwt.PyJWKSetError) as e:
            raise Retryable("telegram login: the signing keys are unavailable") from e


def telegram_id(claims: dict[str, Any]) -> int:
    """Return the Telegram user id from verified claims (`id`, else `sub`)."""
    value = str(claims.get("id", claims.get("sub", "")))
    if not _ID.match(value):
        raise NotAuthenticated("telegram login: the token names no Telegram user id")
    return int(value)


def _has(keys: jwt.PyJWKSet, kid: str) -> bool:
    return any(key.key_id == kid for key in keys.keys)


def _json(answer: httpx.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError as e:
        raise NotAuthenticated("telegram login: the answer is not JSON") from e
    if not isinstance(data, dict):
        raise NotAuthenticated("telegram login: the answer is not a JSON object")
    return data
