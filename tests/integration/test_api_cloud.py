"""The `api` function on cloud ports, as functions-framework serves it: Firestore (emulator),
Firebase Auth (firebase_admin; unsigned ID tokens, see firebase_tokens.py), the Telegram app's,
login bot's and vault's secrets from a Secret Manager stand-in, TelethonLogin for linking, and
Log In With Telegram (OpenID Connect against a local Telegram, and the legacy widget)."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from google.cloud import firestore
from starlette.testclient import TestClient

from cloud_api import BOT_TOKEN, CLIENT_ID, REDIRECT, cloud_environ
from firebase_tokens import custom_token_claims, id_token
from function_apps import app
from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier import serving, serving_api
from signal_copier.auth.firebase import FirebaseAuth
from signal_copier.core.dashboard import ChatInfo, Profile
from signal_copier.core.fleet import SessionHealth, SessionLink, Watermark, session_secret_name
from signal_copier.core.market import Credentials
from signal_copier.core.records import Subscription, UserRecord
from signal_copier.services import accounts
from signal_copier.services.webdeps import WebDeps
from signal_copier.stack.emulators import Emulators
from signal_copier.telegram.telethon import TelethonLogin

__all__ = ["secret_manager"]


@pytest.fixture
def cloud_api(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[TestClient]:
    """Serve the `api` function in cloud mode on the emulator."""
    environ = cloud_environ(firestore_emulator.project, secret_manager, tmp_path)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    serving.process.cache_clear()  # a fresh process reads this test's environment
    with TestClient(app("api"), base_url="https://copier.example") as client:
        yield client
        assert client.portal is not None
        client.portal.call(serving_api.process().aclose)
    serving.process.cache_clear()


def _bearer(project: str, uid: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {id_token(project, uid, **claims)}"}


def _document(project: str, *path: str) -> dict[str, Any] | None:
    return firestore.Client(project=project).document(*path).get().to_dict()


def test_a_signed_in_user_changes_their_own_settings_on_firestore(
    cloud_api: TestClient, firestore_emulator: Emulators
) -> None:
    project = firestore_emulator.project
    ada = _bearer(project, "tg424242")

    saved = cloud_api.put("/api/users/tg424242/settings", headers=ada, json={"lot": "0.2"})
    me = cloud_api.get("/api/users/tg424242", headers=ada)
    activity = cloud_api.get("/api/users/tg424242/activity", headers=ada)

    assert saved.status_code == me.status_code == activity.status_code == 200, saved.text
    assert _document(project, "users", "tg424242") is not None
    assert "0.2" in me.text
    assert "settings" in activity.text


def test_another_users_token_gets_403_and_changes_nothing(
    cloud_api: TestClient, firestore_emulator: Emulators
) -> None:
    project = firestore_emulator.project
    mallory = _bearer(project, "tg666")

    read = cloud_api.get("/api/users/tg424242", headers=mallory)
    write = cloud_api.put("/api/users/tg424242/settings", headers=mallory, json={"lot": "5"})
    stop = cloud_api.post("/api/users/tg424242/kill", headers=mallory, json={"confirm": "KILL"})

    assert read.status_code == write.status_code == stop.status_code == 403
    assert _document(project, "users", "tg424242") is None


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": f"Bearer {id_token('another-project', 'tg424242')}"},
        {"Authorization": f"Bearer {id_token('p', 'tg424242', exp=int(time.time()) - 60)}"},
    ],
)
def test_no_token_or_a_foreign_token_is_401(cloud_api: TestClient, headers: dict[str, str]) -> None:
    assert cloud_api.get("/api/users/tg424242", headers=headers).status_code == 401


def test_the_health_route_answers_without_building_anything(cloud_api: TestClient) -> None:
    assert cloud_api.get("/healthz").json() == {"status": "ok"}


def test_log_in_with_telegram_starts_with_the_configured_bot(cloud_api: TestClient) -> None:
    config = cloud_api.get("/api/config").json()
    started = cloud_api.post("/api/auth/telegram/start")

    assert config == {"mode": "cloud", "telegram_login": True}
    url = urlsplit(started.json()["url"])
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert (url.scheme, url.netloc, url.path) == ("https", "oauth.telegram.org", "/auth")
    assert (query["client_id"], query["redirect_uri"]) == (CLIENT_ID, REDIRECT)
    assert query["state"] == started.json()["state"] and query["code_challenge_method"] == "S256"


def test_a_callback_with_an_unknown_state_is_refused(cloud_api: TestClient) -> None:
    answer = cloud_api.post(
        "/api/auth/telegram/callback", json={"code": "forged", "state": "x" * 24}
    )

    assert answer.status_code == 401


def _widget(bot_token: str, **changes: str) -> str:
    fields = {"id": "424242", "first_name": "Ada", "auth_date": str(int(time.time()) - 5)}
    fields.update(changes)
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()
    secret = hashlib.sha256(bot_token.encode()).digest()
    return urlencode({**fields, "hash": hmac.new(secret, check, hashlib.sha256).hexdigest()})


def test_the_widget_signs_in_only_with_the_bot_token_from_secret_manager(
    cloud_api: TestClient,
) -> None:
    genuine = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget(BOT_TOKEN)})
    forged = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget("1:guess")})
    tampered = _widget(BOT_TOKEN).replace("id=424242", "id=1")
    changed = cloud_api.post("/api/auth/telegram/widget", json={"query": tampered})

    assert genuine.status_code == 200, genuine.text
    assert genuine.json()["user_id"] == "tg424242"
    assert custom_token_claims(genuine.json()["token"])["uid"] == "tg424242"
    assert forged.status_code == changed.status_code == 401


def test_linking_telegram_goes_through_telethon_and_nothing_trades(
    cloud_api: TestClient,
) -> None:
    assert cloud_api.portal is not None

    api = cloud_api.portal.call(serving_api.process().api)

    assert isinstance(api.ports.web.telegram, TelethonLogin)
    assert isinstance(api.ports.auth, FirebaseAuth) and not api.ports.auth.checks_revocation
    assert api.ports.limits.trusted_proxies == 0 and api.local_links is None


def test_an_unreadable_secret_makes_the_api_unavailable_not_half_built(
    cloud_api: TestClient, secret_manager: SecretManagerStub, firestore_emulator: Emulators
) -> None:
    del secret_manager.secrets[
        f"projects/{firestore_emulator.project}/secrets/copier-oidc-client-secret"
    ]

    answer = cloud_api.get("/api/config")

    assert (answer.status_code, answer.json()) == (500, {"status": "unavailable"})
    assert "oidc-client-secret" not in answer.text


def test_a_widget_login_cannot_be_replayed(cloud_api: TestClient) -> None:
    # The payload travels through the browser (a redirect puts it in the URL): whoever sees
    # it later must not get a session with it.
    payload = {"query": _widget(BOT_TOKEN)}

    first = cloud_api.post("/api/auth/telegram/widget", json=payload)
    replayed = cloud_api.post("/api/auth/telegram/widget", json=payload)

    assert first.status_code == 200, first.text
    assert replayed.status_code == 401
    assert "token" not in replayed.json()


def test_a_rotated_bot_token_stops_signing_in_once_the_secret_cache_ends(
    cloud_api: TestClient,
    secret_manager: SecretManagerStub,
    firestore_emulator: Emulators,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COPIER_KEY_CACHE_TTL_S", "0.001")  # secrets are read again at once
    before = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget(BOT_TOKEN)})
    leaked_then_rotated = "7000000001:AAH-the-new-token"
    path = f"projects/{firestore_emulator.project}/secrets/copier-telegram-bot-token"
    secret_manager.secrets[path].append(leaked_then_rotated.encode())

    old = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget(BOT_TOKEN, id="7")})
    new = cloud_api.post(
        "/api/auth/telegram/widget", json={"query": _widget(leaked_then_rotated, id="8")}
    )

    assert before.status_code == 200, before.text
    assert old.status_code == 401
    assert new.status_code == 200, new.text


def test_a_login_secret_deleted_after_start_stops_every_telegram_login(
    cloud_api: TestClient,
    secret_manager: SecretManagerStub,
    firestore_emulator: Emulators,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("COPIER_KEY_CACHE_TTL_S", "0.001")
    before = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget(BOT_TOKEN)})
    del secret_manager.secrets[
        f"projects/{firestore_emulator.project}/secrets/copier-telegram-bot-token"
    ]

    after = cloud_api.post("/api/auth/telegram/widget", json={"query": _widget(BOT_TOKEN, id="9")})

    assert before.status_code == 200, before.text
    assert after.status_code == 503
    assert "token" not in after.json() and "copier-telegram-bot-token" not in after.text


def _seed(client: TestClient, work: Any) -> Any:
    """Run `work(ports)` on the api's own runtime (its loop), as the API's services would."""
    assert client.portal is not None
    api = client.portal.call(serving_api.process().api)
    return client.portal.call(work, api.ports.web)


SECRET_TOKEN = "metaapi-token-never-in-firestore-plain"


def test_disconnecting_the_broker_on_firestore_deletes_the_sealed_token_and_frees_the_account(
    cloud_api: TestClient, firestore_emulator: Emulators
) -> None:
    project, uid = firestore_emulator.project, "tg424242"

    async def connected(web: WebDeps) -> None:
        await web.deps.store.put_user(UserRecord(user_id=uid, active=True))
        credentials = Credentials(account_id="acc-7", token=SECRET_TOKEN)
        await accounts.save_credentials(web.deps, uid, credentials)
        await web.web.put_profile(Profile(user_id=uid, account_id="acc-7", currency="USD"))

    _seed(cloud_api, connected)
    mallory = cloud_api.delete(f"/api/users/{uid}/broker", headers=_bearer(project, "tg666"))
    sealed = _document(project, "users", uid, "private", "broker")  # still there after a 403
    answer = cloud_api.delete(f"/api/users/{uid}/broker", headers=_bearer(project, uid))
    again = cloud_api.delete(f"/api/users/{uid}/broker", headers=_bearer(project, uid))

    assert sealed is not None and mallory.status_code == 403
    assert answer.status_code == 200, answer.text
    assert answer.json()["released_account"] == "acc-7"
    assert again.status_code == 200 and again.json()["released_account"] == ""
    assert _document(project, "users", uid, "private", "broker") is None
    assert _document(project, "accounts", "acc-7") is None
    assert (_document(project, "users", uid, "web", "profile") or {})["account_id"] == ""
    assert (_document(project, "users", uid) or {})["paused_reason"] == "broker_not_connected"
    audit = firestore.Client(project=project).collection("audit").stream()
    actions = [doc.to_dict() for doc in audit]
    assert [a["action"] for a in actions].count("credentials_removed") == 2
    assert SECRET_TOKEN not in repr(actions)


def test_unlinking_telegram_on_firestore_deletes_the_session_and_what_the_listener_wrote(
    cloud_api: TestClient, firestore_emulator: Emulators
) -> None:
    project, uid = firestore_emulator.project, "tg424242"

    async def linked(web: WebDeps) -> list[Subscription]:
        await web.deps.store.put_user(UserRecord(user_id=uid, active=True))
        await web.web.put_profile(Profile(user_id=uid, telegram_linked=True))
        await web.deps.vault.put(session_secret_name(uid), b"1BvStringSession-secret")
        await web.fleet.link_session(SessionLink(user_id=uid, shard=5))
        await web.fleet.put_chats(uid, [ChatInfo(chat_id="-1001", title="Gold VIP")])
        await web.fleet.put_session_health(uid, SessionHealth(connected=True))
        await web.fleet.save_watermarks(
            [Watermark(user_id=uid, chat_id="-1001", message_id=9, seen_at=datetime.now(UTC))]
        )
        await web.deps.store.add_subscription(Subscription(user_id=uid, chat_id="-1001"), None)
        return await web.deps.store.subscribers("-1001")

    async def after(web: WebDeps) -> tuple[list[Any], list[Any], int, list[Any]]:
        return (
            await web.deps.store.subscribers("-1001"),
            await web.deps.store.subscriptions(uid),
            await web.fleet.session_count(),
            await web.fleet.sessions([5]),
        )

    before = _seed(cloud_api, linked)
    mallory = cloud_api.delete(
        f"/api/users/{uid}/telegram/session", headers=_bearer(project, "tg666")
    )
    kept = _document(project, "users", uid, "private", "telegram")  # still there after a 403
    answer = cloud_api.delete(f"/api/users/{uid}/telegram/session", headers=_bearer(project, uid))
    subscribers, followed, count, sessions = _seed(cloud_api, after)
    bot = cloud_api.get(f"/api/users/{uid}/bot", headers=_bearer(project, uid))

    assert [s.user_id for s in before] == [uid] and mallory.status_code == 403
    assert kept is not None
    assert answer.status_code == 200
    # The seeded session is no StringSession: forgotten, and the trader told to end it in Telegram
    assert answer.json() == {"linked": False, "unfollowed": 1, "session": "not_reached"}
    assert _document(project, "users", uid, "private", "telegram") is None
    assert _document(project, "sessions", uid) is None
    assert _document(project, "sessions", uid, "watermarks", "-1001") is None
    assert _document(project, "users", uid, "chats", "-1001") is None
    assert _document(project, "users", uid, "bot", "status") is None
    assert (_document(project, "shards", "5") or {})["sessions"] == 0
    assert subscribers == [] and followed == [] and count == 0 and sessions == []
    assert bot.json() == {"state": "unlinked", "detail": ""}
    assert (_document(project, "users", uid, "web", "profile") or {})["telegram_linked"] is False
