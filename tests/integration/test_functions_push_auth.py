"""Push endpoints accept only Pub/Sub's OIDC token for their own subscription."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from starlette.testclient import TestClient

from function_apps import app, local_functions, onboard, open_intent, orders_on_account, push_body
from google_oidc_stub import AUDIENCE, PUSH_ACCOUNT, GoogleKeys, SigningKey, google_keys
from signal_copier import serving
from signal_copier.auth.push_token import PushRefused, PushTokenVerifier
from signal_copier.services.deps import Deps
from signal_copier.stack.emulators import free_port

__all__ = ["google_keys", "local_functions"]


@pytest.fixture
def guarded(
    local_functions: Path, google_keys: GoogleKeys, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, Deps]]:
    """Serve on_intent with the push check on, for two onboarded users tg1 and tg2."""
    monkeypatch.setenv("COPIER_PUSH_AUTH", "on")
    monkeypatch.setenv("COPIER_PUSH_AUDIENCE", AUDIENCE)
    monkeypatch.setenv("COPIER_PUSH_SERVICE_ACCOUNT", PUSH_ACCOUNT)
    monkeypatch.setenv("COPIER_PUSH_JWKS_URL", google_keys.url)
    with TestClient(app("on_intent")) as client:
        assert client.portal is not None
        deps = client.portal.call(serving.process().deps)
        for user in ("tg1", "tg2"):
            client.portal.call(onboard, deps, user)
        yield client, deps


def test_a_push_with_pubsubs_token_for_this_endpoint_is_executed(
    guarded: tuple[TestClient, Deps], google_keys: GoogleKeys
) -> None:
    client, deps = guarded

    answer = client.post(
        "/", json=push_body(open_intent("tg2")), headers=google_keys.header("on_intent")
    )

    assert (answer.status_code, answer.json()) == (200, {"status": "placed"})
    assert orders_on_account(client, deps, "tg2") >= 1


def _forged(keys: GoogleKeys) -> dict[str, dict[str, str] | None]:
    attacker = SigningKey()
    now = int(time.time())
    hs256 = jwt.encode(
        {"aud": f"{AUDIENCE}/on_intent", "email": PUSH_ACCOUNT, "email_verified": True},
        "shared-secret-guess-long-enough-for-hmac",
        algorithm="HS256",
        headers={"kid": keys.published[0].kid},
    )
    unsigned = ".".join(
        base64.urlsafe_b64encode(part).rstrip(b"=").decode()
        for part in (b'{"alg":"none","typ":"JWT"}', f'{{"aud":"{AUDIENCE}/on_intent"}}'.encode())
    )
    return {
        "no token": None,
        "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
        "garbage": {"Authorization": "Bearer not.a.jwt"},
        "unknown signing key": keys.header("on_intent", key=attacker),
        "attacker key with google's kid": keys.header(
            "on_intent", key=SigningKey(kid=keys.published[0].kid)
        ),
        "expired": keys.header("on_intent", iat=now - 7200, exp=now - 3600),
        "another issuer": keys.header("on_intent", iss="https://evil.example"),
        "hs256": {"Authorization": f"Bearer {hs256}"},
        "alg none": {"Authorization": f"Bearer {unsigned}."},
        "another endpoint's subscription": keys.header("on_message"),
        "another audience": keys.header("on_intent", audience="https://other.example/on_intent"),
        "another service account": keys.header("on_intent", email="attacker@evil.example"),
        "unverified email": keys.header("on_intent", email_verified=False),
    }


EXPECTED = {
    "no token": 401,
    "not bearer": 401,
    "garbage": 401,
    "unknown signing key": 401,
    "attacker key with google's kid": 401,
    "expired": 401,
    "another issuer": 401,
    "hs256": 401,
    "alg none": 401,
    "another endpoint's subscription": 403,
    "another audience": 403,
    "another service account": 403,
    "unverified email": 403,
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_a_forged_intent_for_another_user_is_refused_and_reaches_no_broker(
    guarded: tuple[TestClient, Deps], google_keys: GoogleKeys, case: str
) -> None:
    client, deps = guarded
    payload = open_intent("tg2")

    answer = client.post("/", json=push_body(payload), headers=_forged(google_keys)[case])

    assert (answer.status_code, answer.json()) == (EXPECTED[case], {"status": "refused"})
    assert orders_on_account(client, deps, "tg2") == 0
    assert client.portal is not None
    assert client.portal.call(deps.store.trade, "tg2", payload["id"]) is None


def _verifier(keys: GoogleKeys, url: str | None = None) -> PushTokenVerifier:
    return PushTokenVerifier(
        jwks_url=url or keys.url,
        audience=AUDIENCE,
        service_account=PUSH_ACCOUNT,
        refresh_cooldown_s=0,
    )


async def test_google_keys_are_fetched_once_and_cached(google_keys: GoogleKeys) -> None:
    verifier = _verifier(google_keys)

    for _ in range(5):
        await verifier.verify(f"Bearer {google_keys.token('on_intent')}", "on_intent")

    assert google_keys.fetches == 1


async def test_a_token_signed_with_a_newly_published_key_refreshes_the_cache(
    google_keys: GoogleKeys,
) -> None:
    verifier = _verifier(google_keys)
    await verifier.verify(f"Bearer {google_keys.token('on_intent')}", "on_intent")
    rotated = SigningKey()
    google_keys.published.append(rotated)

    claims = await verifier.verify(
        f"Bearer {google_keys.token('on_intent', key=rotated)}", "on_intent"
    )

    assert claims["email"] == PUSH_ACCOUNT and google_keys.fetches == 2


async def test_unreachable_google_keys_ask_for_a_redelivery(google_keys: GoogleKeys) -> None:
    verifier = _verifier(google_keys, url=f"http://127.0.0.1:{free_port()}/certs")

    with pytest.raises(PushRefused) as refused:
        await verifier.verify(f"Bearer {google_keys.token('on_intent')}", "on_intent")

    assert refused.value.status == 503


def test_production_settings_cannot_turn_the_check_off() -> None:
    from signal_copier.config import Settings
    from signal_copier.core.errors import InvalidSettings

    environ = {
        "COPIER_MODE": "cloud",
        "COPIER_ENV": "production",
        "COPIER_PROJECT": "p-1",
        "COPIER_DATA_KEY_SECRET": "k",
        "COPIER_PUSH_AUTH": "off",
    }

    with pytest.raises(InvalidSettings, match="COPIER_PUSH_AUTH=off"):
        Settings.from_env(environ)
