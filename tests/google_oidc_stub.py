"""Google's side of push authentication, on loopback: a JWKS endpoint and tokens signed like it.

Tests sign OIDC tokens with a local RSA key served as a JWKS, exactly as Pub/Sub's tokens are
signed with Google's keys published at https://www.googleapis.com/oauth2/v3/certs.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from json_server import json_server

AUDIENCE = "https://copier.test"
PUSH_ACCOUNT = "pubsub-push@demo-signal-copier.iam.gserviceaccount.com"


@dataclass
class SigningKey:
    """An RSA key and its key id."""

    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    private: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwk(self) -> dict[str, Any]:
        """Return the public half as a JWK."""
        public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}


@dataclass
class GoogleKeys:
    """The keys served at `url`; `fetches` counts how often the JWKS was read."""

    published: list[SigningKey] = field(default_factory=lambda: [SigningKey()])
    fetches: int = 0
    url: str = ""

    def token(
        self,
        entry: str,
        *,
        key: SigningKey | None = None,
        audience: str | None = None,
        **claims: Any,
    ) -> str:
        """Return a push token for `entry` as Pub/Sub would sign it (claims overridable)."""
        now = int(time.time())
        body = {
            "iss": "https://accounts.google.com",
            "aud": audience if audience is not None else f"{AUDIENCE}/{entry}",
            "email": PUSH_ACCOUNT,
            "email_verified": True,
            "sub": "1234567890",
            "iat": now,
            "exp": now + 3600,
            **claims,
        }
        signer = key or self.published[0]
        return jwt.encode(body, signer.private, algorithm="RS256", headers={"kid": signer.kid})

    def header(self, entry: str, **options: Any) -> dict[str, str]:
        """Return the Authorization header Pub/Sub would send to `entry`."""
        return {"Authorization": f"Bearer {self.token(entry, **options)}"}


@pytest.fixture
def google_keys() -> Iterator[GoogleKeys]:
    """Serve a JWKS on a free loopback port for one test."""
    keys = GoogleKeys()

    def answer(_method: str, _path: str, _body: bytes) -> tuple[int, Any]:
        keys.fetches += 1
        return 200, {"keys": [k.jwk() for k in keys.published]}

    with json_server(answer) as base:
        keys.url = f"{base}/oauth2/v3/certs"
        yield keys
