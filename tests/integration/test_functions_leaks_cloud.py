"""No secret leaks through the real flows on the cloud ports, every logger at DEBUG: Firestore
and Pub/Sub on the emulators, secrets from a Secret Manager stand-in, Firebase ID tokens (unsigned,
emulator mode), the functions served over HTTP on one loop as one instance would serve them.

The flows: log in with Telegram's widget (the bot token from Secret Manager), connect MT5 (the
broker token through the api), link Telegram through the api (the offline TelegramLogin that
`serve` uses: Telegram cannot be reached from here), follow a chat, set risk, Start; a signal
traded through on_message and on_intent; a sweep; a dead letter; the listener wired (the
Telegram app's api_hash from Secret Manager); the dashboard's pages read. The session string
and the pending login (with its phone_code_hash) are put in the vault as the Telethon login
stores them, since the offline login makes none. Then logs, every Firestore document (audit
and activity ones too), every HTTP response and the dead-letter payloads are searched for each
secret in its common encodings. MetaAPI is the paper broker behind the same port.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import importlib.util
import io
import json
import logging
import os
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from telethon.crypto import AuthKey
from telethon.sessions import StringSession

from cloud_api import cloud_environ
from firebase_tokens import id_token
from function_apps import CHAT, channel_message, open_intent, push_body
from function_servers import InProcessServers
from leak_grep import capture, escaped, firestore_dump, leaks
from pubsub_topology import Topology, topology
from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier import bootstrap, serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.fleet import SessionLink, session_secret_name
from signal_copier.core.leases import shard_of
from signal_copier.stack.emulators import Emulators
from signal_copier.telegram.telethon.login import pending_name

__all__ = ["capture", "secret_manager", "topology"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
_SPEC = importlib.util.spec_from_file_location(
    "listener_main_leaks", Path(__file__).resolve().parents[2] / "listeners" / "main.py"
)
assert _SPEC is not None and _SPEC.loader is not None
listener = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(listener)

TELEGRAM_ID = 424242
UID, ACCOUNT = f"tg{TELEGRAM_ID}", "acc-tg424242"


def _session_string() -> str:
    session = StringSession()
    session.set_dc(2, "149.154.167.51", 443)
    session.auth_key = AuthKey(os.urandom(256))
    return str(session.save())


SECRETS: dict[str, bytes] = {
    "broker token": f"metaapi-{os.urandom(24).hex()}".encode(),
    "bot token": f"7000000001:AAH{os.urandom(16).hex()}".encode(),
    "data key": os.urandom(32),
    "api_hash": os.urandom(16).hex().encode(),
    "oidc client secret": f"oidc-{os.urandom(16).hex()}".encode(),
    "session string": _session_string().encode(),
    "phone_code_hash": os.urandom(9).hex().encode(),
}
_IN_SECRET_MANAGER = {
    "copier-data-keys": "data key",
    "copier-telegram-api-hash": "api_hash",
    "copier-oidc-client-secret": "oidc client secret",
    "copier-telegram-bot-token": "bot token",
}


class Http:
    """Every request and answer of the run, kept for the search."""

    def __init__(self) -> None:
        self.answers: list[bytes] = []

    def __call__(
        self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, raw, head = response.status, response.read(), response.headers
        except urllib.error.HTTPError as e:
            status, raw, head = e.code, e.read(), e.headers
        self.answers.append(str(head).encode() + raw)
        return status, json.loads(raw)


def _widget() -> str:
    fields = {"id": str(TELEGRAM_ID), "first_name": "Ada", "auth_date": str(int(time.time()))}
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()
    key = hashlib.sha256(SECRETS["bot token"]).digest()
    return urlencode({**fields, "hash": hmac.new(key, check, hashlib.sha256).hexdigest()})


async def _before_onboarding() -> None:
    """Open the paper account, list the chat the user's session reads, as the listener would."""
    process = serving.process()
    deps = await process.deps()
    assert isinstance(deps.broker, PaperBroker)
    deps.broker.open_account(ACCOUNT, balance=Decimal(10_000))
    fleet = bootstrap.fleet_store(process.settings(), deps.store)
    shard = shard_of(UID, process.settings().fleet_shards)
    await fleet.link_session(SessionLink(user_id=UID, shard=shard))  # a listener runs it
    await fleet.put_chats(UID, [ChatInfo(chat_id=CHAT, title="Gold signals")])
    # What TelethonLogin leaves in the vault: a pending login, then the linked session.
    expires = (datetime.now(UTC) + timedelta(minutes=10)).isoformat()
    pending = {"phone": "+447700900123", "hash": SECRETS["phone_code_hash"].decode()}
    pending |= {"step": "code", "session": _session_string(), "expires": expires}
    await deps.vault.put(pending_name(UID), json.dumps(pending).encode())
    await deps.vault.put(session_secret_name(UID), SECRETS["session string"])


async def _wire_listener(environ: dict[str, str]) -> None:
    deps, runtime = await listener.build(environ)  # reads the Telegram app's secrets
    assert deps.telegram is not None
    await runtime.aclose()


def _onboard(http: Http, api: str, project: str) -> list[tuple[int, Any]]:
    bearer = {"Authorization": f"Bearer {id_token(project, UID)}"}
    broker = {"account_id": ACCOUNT, "token": SECRETS["broker token"].decode()}
    return [
        http("POST", f"{api}/api/auth/telegram/widget", {"query": _widget()}),
        http("POST", f"{api}/api/users/{UID}/broker", broker, bearer),
        http("POST", f"{api}/api/users/{UID}/telegram/phone", {"phone": "+447700900123"}, bearer),
        http("POST", f"{api}/api/users/{UID}/telegram/code", {"code": "12345"}, bearer),
        http("PUT", f"{api}/api/users/{UID}/channels/{CHAT}", {}, bearer),
        http("PUT", f"{api}/api/users/{UID}/settings", {"max_signal_age_s": 300}, bearer),
        http("POST", f"{api}/api/users/{UID}/start", {}, bearer),
    ]


def _pages(http: Http, api: str, project: str) -> list[int]:
    bearer = {"Authorization": f"Bearer {id_token(project, UID)}"}
    pages = ["", "/account", "/trades", f"/log?chat={CHAT}", "/usage", "/bot", "/activity"]
    pages.append("/chats")
    return [http("GET", f"{api}/api/users/{UID}{page}", None, bearer)[0] for page in pages]


def test_no_secret_leaks_through_the_real_flows_on_firestore_at_debug(
    firestore_emulator: Emulators,
    secret_manager: SecretManagerStub,
    topology: Topology,
    capture: logging.StreamHandler[io.StringIO],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    project = firestore_emulator.project
    environ = cloud_environ(project, secret_manager, tmp_path)
    for secret, name in _IN_SECRET_MANAGER.items():
        secret_manager.secrets[f"projects/{project}/secrets/{secret}"] = [SECRETS[name]]
    environ |= {
        "COPIER_SOURCE": "replay",  # the offline TelegramLogin of `serve`
        "COPIER_BROKER": "paper",  # MetaAPI cannot be reached from here ...
        "COPIER_SCALER": "local",  # ... nor Cloud Run's Admin API
        "COPIER_LOG_LEVEL": "DEBUG",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    serving.process.cache_clear()
    serving.process().settings()  # configures the root logger (replacing its handlers) ...
    logging.getLogger().addHandler(capture)  # ... which every logger reaches: capture it there
    for topic in ("messages", "broker-events"):
        topology.named_topic(topic)
    observed = topology.pull_subscription(topology.named_topic("intents"))
    http = Http()

    targets = ["on_message", "on_intent", "on_dead_letter", "sweep", "api"]
    with InProcessServers(targets) as servers:
        urls, api = servers.urls, servers.urls["api"].rstrip("/")
        servers.call(_before_onboarding())
        onboarded = _onboard(http, api, project)
        message = http("POST", urls["on_message"], push_body(channel_message()))
        intents = topology.pull(observed, 1)
        traded = [http("POST", urls["on_intent"], push_body(i.payload)) for i in intents]
        swept = http("POST", urls["sweep"], {})
        dead = push_body(open_intent(UID, message_id=900), {"origin_topic": "intents"})
        dead_lettered = http("POST", urls["on_dead_letter"], dead)
        pages = _pages(http, api, project)
        servers.call(_wire_listener(dict(os.environ)))
    serving.process.cache_clear()

    logged = capture.stream.getvalue().encode()
    documents = asyncio.run(firestore_dump(project))
    payloads = b"".join(i.data + repr(i.attributes).encode() for i in intents)
    payloads += json.dumps(dead).encode()
    assert [status for status, _ in onboarded] == [200] * 7, onboarded
    assert onboarded[0][1]["user_id"] == UID and onboarded[3][1]["stage"] == "linked"
    assert message[1] == {"status": "done"} and [t[1] for t in traded] == [{"status": "placed"}]
    assert swept[0] == 200 and swept[1]["status"] == "done"
    assert dead_lettered[1] == {"status": "recorded_failed"} and pages == [200] * 8
    for path in ("audit/", f"users/{UID}/activity/", f"users/{UID}/trades/", "private/"):
        assert path.encode() in documents, f"no {path} document: the flow did not run"
    assert b'"severity": "DEBUG"' in logged and escaped(capture) == []
    places = {
        "logs": logged,
        "documents": documents,
        "responses": b"".join(http.answers),
        "dead letters": payloads,
    }
    assert leaks(places, SECRETS) == []
