"""The cloud composition of the API (bootstrap_api) end to end: Log In With Telegram against a
local Telegram with the client secret from Secret Manager, revoked sessions refused in
production, and the emulators mode's API on local substitutes (link login, offline Telegram)."""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import firebase_admin
import httpx
import pytest
from google.cloud import firestore
from starlette.testclient import TestClient

from cloud_api import API_HASH, BOT_TOKEN, cloud_environ
from firebase_tokens import custom_token_claims, id_token
from function_apps import app
from json_server import json_server
from oidc_server import CLIENT_ID, TELEGRAM_ID, FakeTelegram, new_key
from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier import bootstrap, serving, serving_api
from signal_copier.bootstrap_api import ApiRuntime, build_api
from signal_copier.config import Settings
from signal_copier.stack.emulators import Emulators
from signal_copier.vault.local import SecretUnreadable

__all__ = ["secret_manager"]


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
async def composed(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    telegram: FakeTelegram,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[tuple[ApiRuntime, httpx.AsyncClient]]:
    """The API as the `api` function composes it in cloud mode, Telegram's OIDC served locally."""
    environ = cloud_environ(firestore_emulator.project, secret_manager, tmp_path)
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", environ["FIREBASE_AUTH_EMULATOR_HOST"])
    runtime = bootstrap.build(Settings.from_env(environ))
    oidc = httpx.AsyncClient(transport=httpx.ASGITransport(app=telegram.app))
    api = await build_api(runtime, environ, http=oidc)
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://copier.example") as client:
        yield api, client
    await api.aclose()
    await oidc.aclose()
    await runtime.aclose()


async def _login(client: httpx.AsyncClient, telegram: FakeTelegram, **token: Any) -> httpx.Response:
    started = (await client.post("/api/auth/telegram/start")).json()
    nonce = token.pop("nonce", parse_qs(urlsplit(started["url"]).query)["nonce"][0])
    telegram.tokens["code-1"] = telegram.id_token(nonce, **token)
    callback = {"code": "code-1", "state": started["state"]}
    return await client.post("/api/auth/telegram/callback", json=callback)


async def test_a_genuine_telegram_login_gets_a_firebase_token_for_its_user(
    composed: tuple[ApiRuntime, httpx.AsyncClient], telegram: FakeTelegram
) -> None:
    api, client = composed

    answer = await _login(client, telegram)

    assert answer.status_code == 200, answer.text
    assert answer.json()["user_id"] == f"tg{TELEGRAM_ID}"
    assert custom_token_claims(answer.json()["token"])["uid"] == f"tg{TELEGRAM_ID}"
    basic = base64.b64encode(f"{CLIENT_ID}:oidc-client-secret".encode()).decode()
    assert telegram.client_auth == [f"Basic {basic}"]  # the client secret from Secret Manager
    activity = await api.ports.web.web.activity(f"tg{TELEGRAM_ID}")
    assert [event.action for event in activity] == ["signed_in"]


async def test_a_login_creates_no_user_until_the_first_setup_step_which_makes_it_free_and_stopped(
    composed: tuple[ApiRuntime, httpx.AsyncClient],
    telegram: FakeTelegram,
    firestore_emulator: Emulators,
) -> None:
    _, client = composed
    project, uid = firestore_emulator.project, f"tg{TELEGRAM_ID}"
    user = firestore.Client(project=project).document("users", uid)

    await _login(client, telegram)
    after_login = user.get()
    bearer = {"Authorization": f"Bearer {id_token(project, uid)}"}
    saved = await client.put(f"/api/users/{uid}/settings", headers=bearer, json={"lot": "0.1"})

    assert not after_login.exists  # only the audit record and the activity line are written
    assert saved.status_code == 200, saved.text
    assert {k: user.get().get(k) for k in ("plan", "active")} == {"plan": "free", "active": False}


@pytest.mark.parametrize(
    "token",
    [
        {"key": new_key()},  # signed with a key Telegram never published
        {"aud": "7000000002"},  # another bot's login
        {"iss": "https://evil.example"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
        {"nonce": "replayed-from-another-login"},
    ],
)
async def test_a_forged_telegram_login_is_refused(
    composed: tuple[ApiRuntime, httpx.AsyncClient], telegram: FakeTelegram, token: Any
) -> None:
    _, client = composed

    answer = await _login(client, telegram, **token)

    assert answer.status_code == 401
    assert "token" not in answer.json()


async def test_a_callback_replayed_after_a_login_is_refused(
    composed: tuple[ApiRuntime, httpx.AsyncClient], telegram: FakeTelegram
) -> None:
    _, client = composed
    started = (await client.post("/api/auth/telegram/start")).json()
    nonce = parse_qs(urlsplit(started["url"]).query)["nonce"][0]
    callback = {"code": "code-1", "state": started["state"]}
    telegram.tokens["code-1"] = telegram.id_token(nonce)
    first = await client.post("/api/auth/telegram/callback", json=callback)
    telegram.tokens["code-1"] = telegram.id_token(nonce)

    again = await client.post("/api/auth/telegram/callback", json=callback)

    assert (first.status_code, again.status_code) == (200, 401)


async def test_logins_log_and_answer_no_secret_even_at_debug(
    composed: tuple[ApiRuntime, httpx.AsyncClient],
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, client = composed
    caplog.set_level(logging.DEBUG)  # raw records: no redaction between them and this check

    answers = [await _login(client, telegram), await _login(client, telegram, key=new_key())]
    widget = {"query": "id=1&auth_date=1&hash=" + "0" * 64}
    answers.append(await client.post("/api/auth/telegram/widget", json=widget))

    assert [a.status_code for a in answers] == [200, 401, 401]
    basic = base64.b64encode(f"{CLIENT_ID}:oidc-client-secret".encode()).decode()
    seen = caplog.text + "".join(a.text for a in answers)
    for secret in ("oidc-client-secret", basic, BOT_TOKEN, API_HASH):
        assert secret not in seen


async def test_a_build_stopped_by_a_missing_secret_leaves_nothing_open(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environ = cloud_environ(firestore_emulator.project, secret_manager, tmp_path)
    del secret_manager.secrets[
        f"projects/{firestore_emulator.project}/secrets/copier-telegram-bot-token"
    ]
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", environ["FIREBASE_AUTH_EMULATOR_HOST"])
    runtime = bootstrap.build(Settings.from_env(environ))
    apps_before = set(firebase_admin._apps)  # every request retries the build: none may pile up

    for _ in range(3):
        with pytest.raises(SecretUnreadable, match="copier-telegram-bot-token"):
            await build_api(runtime, environ)

    assert set(firebase_admin._apps) == apps_before
    await runtime.aclose()


class IdentityToolkit:
    """Answers firebase_admin's accounts:lookup with the user's revocation time."""

    def __init__(self) -> None:
        self.valid_since = 0
        self.lookups = 0

    def answer(self, body: bytes) -> dict[str, Any]:
        self.lookups += 1
        uid = json.loads(body)["localId"][0]
        return {"users": [{"localId": uid, "validSince": str(self.valid_since)}]}


@pytest.fixture
def identity_toolkit() -> Iterator[tuple[IdentityToolkit, str]]:
    toolkit = IdentityToolkit()
    with json_server(lambda _m, _p, body: (200, toolkit.answer(body))) as base:
        yield toolkit, base.removeprefix("http://")


async def test_production_refuses_the_token_of_a_revoked_session(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    identity_toolkit: tuple[IdentityToolkit, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    toolkit, host = identity_toolkit
    project = firestore_emulator.project
    environ = cloud_environ(project, secret_manager, tmp_path)
    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", host)
    # Production refuses the stand-ins this test needs, so its settings are made directly.
    settings = replace(Settings.from_env(environ), env="production")
    runtime = bootstrap.build(settings)
    api = await build_api(runtime, environ)
    headers = {"Authorization": f"Bearer {id_token(project, 'tg424242')}"}
    transport = httpx.ASGITransport(app=api.app)
    async with httpx.AsyncClient(transport=transport, base_url="https://copier.example") as client:
        toolkit.valid_since = int(time.time())  # signed out everywhere after the token was made
        revoked = await client.get("/api/users/tg424242", headers=headers)
        toolkit.valid_since = int(time.time()) - 3600
        current = await client.get("/api/users/tg424242", headers=headers)
    await api.aclose()
    await runtime.aclose()

    assert (revoked.status_code, current.status_code) == (401, 200)
    assert "revoked" in revoked.text and toolkit.lookups == 2


@pytest.fixture
def emulators_api(
    firestore_emulator: Emulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    """Serve the `api` function in emulators mode (local auth, offline Telegram login)."""
    for name, value in {
        "COPIER_MODE": "emulators",
        "COPIER_PUSH_AUTH": "off",
        "COPIER_DATA_DIR": str(tmp_path),
    }.items():
        monkeypatch.setenv(name, value)
    serving.process.cache_clear()
    with TestClient(app("api")) as client:
        yield client
        assert client.portal is not None
        client.portal.call(serving_api.process().aclose)
    serving.process.cache_clear()


def test_the_emulators_api_signs_in_by_link_and_links_telegram_offline(
    emulators_api: TestClient,
) -> None:
    assert emulators_api.portal is not None
    api = emulators_api.portal.call(serving_api.process().api)
    assert api.local_links is not None
    code = api.local_links.issue_link("tg1")

    signed_in = emulators_api.post("/api/auth/local", json={"code": code})
    headers = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    config = emulators_api.get("/api/config").json()
    own = emulators_api.get("/api/users/tg1", headers=headers)
    other = emulators_api.get("/api/users/tg2", headers=headers)
    phone = {"phone": "+447700900123"}
    linking = emulators_api.post("/api/users/tg1/telegram/phone", headers=headers, json=phone)
    reused = emulators_api.post("/api/auth/local", json={"code": code})

    assert config == {"mode": "emulators", "telegram_login": False}
    assert (own.status_code, other.status_code, reused.status_code) == (200, 403, 401)
    assert linking.json()["stage"] == "code_sent"
