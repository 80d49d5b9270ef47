"""Log In With Telegram (OIDC): the real verifier against a local JWKS and token endpoint.

Every forged, tampered, expired, wrong-audience, wrong-issuer or replayed login is refused.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from oidc_server import TELEGRAM_ID, FakeTelegram, new_key
from signal_copier.auth.telegram import TelegramSignIn
from signal_copier.core.dashboard import NotAuthenticated
from signal_copier.store.sqlite import SqliteStore

NOW = datetime.now(UTC)


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


async def _attempt(telegram: FakeTelegram, sign_in: TelegramSignIn, **token: object) -> int:
    started = await sign_in.start(NOW)
    kept = await sign_in._web.take_nonce(f"oidc:{started['state']}", NOW)
    assert kept is not None
    await sign_in._web.put_nonce(f"oidc:{started['state']}", kept, NOW.replace(year=NOW.year + 1))
    nonce = str(token.pop("nonce", kept["nonce"]))
    telegram.tokens["code-1"] = telegram.id_token(nonce, **token)
    return await sign_in.callback("code-1", started["state"], NOW)


def _sign_in(telegram: FakeTelegram) -> TelegramSignIn:
    return TelegramSignIn(telegram.oidc(), SqliteStore(":memory:"))


async def test_a_genuine_login_names_the_telegram_user(telegram: FakeTelegram) -> None:
    assert await _attempt(telegram, _sign_in(telegram)) == TELEGRAM_ID


async def test_the_authorization_url_carries_pkce_state_and_nonce(telegram: FakeTelegram) -> None:
    started = await _sign_in(telegram).start(NOW)

    for part in ("code_challenge_method=S256", "code_challenge=", "nonce=", "state="):
        assert part in started["url"]
    assert started["url"].startswith("https://oauth.telegram.org/auth?")


@pytest.mark.parametrize(
    ("case", "token"),
    [
        ("forged", {"key": new_key()}),
        ("expired", {"exp": 1_000_000, "iat": 999_000}),
        ("wrong audience", {"aud": "someone-else"}),
        ("wrong issuer", {"iss": "https://evil.example"}),
        ("wrong nonce", {"nonce": "not-the-one"}),
        ("no expiry", {"exp": None}),
        ("unknown key", {"kid": "k9", "key": new_key()}),
    ],
)
async def test_a_bad_id_token_is_refused(
    telegram: FakeTelegram, case: str, token: dict[str, object]
) -> None:
    with pytest.raises(NotAuthenticated):
        await _attempt(telegram, _sign_in(telegram), **token)


async def test_a_tampered_token_is_refused(telegram: FakeTelegram) -> None:
    sign_in = _sign_in(telegram)
    started = await sign_in.start(NOW)
    kept = await sign_in._web.take_nonce(f"oidc:{started['state']}", NOW)
    assert kept is not None
    await sign_in._web.put_nonce(f"oidc:{started['state']}", kept, NOW.replace(year=NOW.year + 1))
    header, payload, signature = telegram.id_token(kept["nonce"]).split(".")
    telegram.tokens["code-1"] = ".".join([header, payload[:-4] + "AAAA", signature])

    with pytest.raises(NotAuthenticated):
        await sign_in.callback("code-1", started["state"], NOW)


async def test_a_replayed_callback_is_refused(telegram: FakeTelegram) -> None:
    sign_in = _sign_in(telegram)
    started = await sign_in.start(NOW)
    nonce = (await sign_in._web.take_nonce(f"oidc:{started['state']}", NOW) or {})["nonce"]
    verifier = {"nonce": nonce, "verifier": "v" * 43}
    await sign_in._web.put_nonce(
        f"oidc:{started['state']}", verifier, NOW.replace(year=NOW.year + 1)
    )
    telegram.tokens["code-1"] = telegram.id_token(nonce)
    assert await sign_in.callback("code-1", started["state"], NOW) == TELEGRAM_ID
    telegram.tokens["code-1"] = telegram.id_token(nonce)

    with pytest.raises(NotAuthenticated, match="state"):
        await sign_in.callback("code-1", started["state"], NOW)


async def test_an_expired_login_state_is_refused(telegram: FakeTelegram) -> None:
    sign_in = _sign_in(telegram)
    started = await sign_in.start(NOW)

    with pytest.raises(NotAuthenticated, match="state"):
        await sign_in.callback("code-1", started["state"], NOW.replace(year=NOW.year + 1))


async def test_keys_are_cached_and_fetched_again_for_a_new_kid(telegram: FakeTelegram) -> None:
    sign_in = _sign_in(telegram)
    await _attempt(telegram, sign_in)
    await _attempt(telegram, sign_in)
    assert telegram.jwks_fetches == 1

    telegram.keys["k2"] = new_key()  # Telegram rotated its signing key
    assert await _attempt(telegram, sign_in, kid="k2") == TELEGRAM_ID
    assert telegram.jwks_fetches == 2
