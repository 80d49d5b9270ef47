"""FirebaseAuth with firebase_admin itself: with FIREBASE_AUTH_EMULATOR_HOST set, firebase_admin
mints unsigned custom tokens and accepts unsigned ID tokens (no Auth emulator runs here, so the
signature is not what this checks, and emulator mode skips the expiry check too: the uid, the
claims, the audience, the issuer and the error table are)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import firebase_admin
import pytest
from google.auth.credentials import AnonymousCredentials

from firebase_tokens import custom_token_claims, id_token
from signal_copier.auth.firebase import FirebaseAuth
from signal_copier.core.dashboard import NotAuthenticated

PROJECT = "demo-auth"


class _Anonymous(firebase_admin.credentials.Base):
    def get_credential(self) -> Any:
        return AnonymousCredentials()


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[firebase_admin.App]:
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9")
    created = firebase_admin.initialize_app(
        _Anonymous(), {"projectId": PROJECT}, name=f"auth-test-{time.monotonic_ns()}"
    )
    yield created
    firebase_admin.delete_app(created)


def _id_token(uid: str, **changes: Any) -> str:
    return id_token(PROJECT, uid, **changes)


async def test_a_valid_id_token_names_its_uid(app: firebase_admin.App) -> None:
    caller = await FirebaseAuth(app, check_revoked=False).verify(_id_token("tg424242"))

    assert caller.user_id == "tg424242"
    assert caller.claims["tg_id"] == 424242


@pytest.mark.parametrize(
    "token",
    [
        _id_token("tg1", aud="another-project"),
        _id_token("tg1", iss="https://evil.example"),
        "not-a-jwt",
        "",
    ],
)
async def test_foreign_or_garbage_tokens_are_refused(app: firebase_admin.App, token: str) -> None:
    with pytest.raises(NotAuthenticated):
        await FirebaseAuth(app, check_revoked=False).verify(token)


async def test_minting_gives_a_custom_token_for_the_uid(app: firebase_admin.App) -> None:
    token = await FirebaseAuth(app, check_revoked=False).mint("tg424242", {"tg_id": 424242})

    payload = custom_token_claims(token)
    assert payload["uid"] == "tg424242"
    assert payload["claims"] == {"tg_id": 424242}
