"""A local stand-in for oauth.telegram.org: a token endpoint and a JWKS, signing with a key made
here, so the real verifier (PyJWT + httpx) is tested without Telegram."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from signal_copier.auth.oidc import ISSUER, OidcConfig, TelegramOidc

CLIENT_ID = "7000000001"
TELEGRAM_ID = 424242


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class FakeTelegram:
    """Answers /token with whatever ID token the test queued for a code; serves the JWKS."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": new_key()}
        self.tokens: dict[str, str] = {}
        self.client_auth: list[str] = []  # the Authorization header of each token request
        self.jwks_fetches = 0
        self.app = Starlette(
            routes=[
                Route("/token", self._token, methods=["POST"]),
                Route("/.well-known/jwks.json", self._jwks, methods=["GET"]),
            ]
        )

    def id_token(self, nonce: str, *, kid: str = "k1", key: Any = None, **overrides: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "sub": str(TELEGRAM_ID),
            "id": TELEGRAM_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            **overrides,
        }
        claims = {k: v for k, v in claims.items() if v is not None}
        signer = key or self.keys[kid]
        return jwt.encode(claims, signer, algorithm="RS256", headers={"kid": kid})

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        self.client_auth.append(request.headers.get("authorization", ""))
        token = self.tokens.pop(form.get("code", ""), None)
        if token is None or not form.get("code_verifier"):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        return JSONResponse({"id_token": token, "token_type": "Bearer"})

    async def _jwks(self, request: Request) -> JSONResponse:
        self.jwks_fetches += 1
        keys = []
        for kid, key in self.keys.items():
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
            keys.append({**jwk, "kid": kid, "use": "sig", "alg": "RS256"})
        return JSONResponse({"keys": keys})

    def oidc(self, refresh_every_s: float = 0.0) -> TelegramOidc:
        config = OidcConfig(
            client_id=CLIENT_ID,
            client_secret="bot-secret",
            redirect_uri="http://127.0.0.1/",
            refresh_every_s=refresh_every_s,
        )
        transport = httpx.ASGITransport(app=self.app)
        return TelegramOidc(config, httpx.AsyncClient(transport=transport, base_url=ISSUER))
