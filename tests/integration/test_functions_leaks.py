"""No secret leaks: every logger at DEBUG over a run through the handlers on the emulators.

Logs, stored documents (Firestore and SQLite), HTTP responses and the payloads that would be
dead-lettered hold no broker token, session string, api_hash, phone_code_hash, bot token or
data key, in any common encoding.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from function_apps import CHAT, channel_message, onboard, open_intent, push_body
from function_servers import InProcessServers
from leak_grep import capture, escaped, firestore_dump, leaks
from pubsub_topology import Topology, topology
from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier import serving
from signal_copier.core.market import Credentials
from signal_copier.services import accounts
from signal_copier.stack.emulators import Emulators

__all__ = ["capture", "secret_manager", "topology"]
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SECRET = "projects/demo-signal-copier/secrets/data-keys"
DATA_KEY = os.urandom(32)
SECRETS = {
    "broker token": "metaapi-token-of-tg1-0123456789",  # what onboard() stores
    "session string": "1BVtsOKABu2Lx9TESTSESSIONSTRINGq7v8Zx3",
    "api_hash": "0123456789abcdef0123456789abcdef",
    "phone_code_hash": "f00dfacecafe1234ab",
    "bot token": "7654321:AAHsecret-bot-token-value_xyz",
}
SECRET_BYTES = {name: v.encode() for name, v in SECRETS.items()} | {"data key": DATA_KEY}


def _post(url: str, body: dict[str, Any]) -> bytes:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return bytes(response.read())


async def _store_secrets() -> None:
    deps = await serving.process().deps()
    await onboard(deps, "tg1")
    session = json.dumps({"session": SECRETS["session string"], "api_hash": SECRETS["api_hash"]})
    await deps.vault.put("telegram.tg1", session.encode())
    await deps.vault.put("telegram_login.tg1", SECRETS["phone_code_hash"].encode())
    await deps.vault.put("bot.tg1", SECRETS["bot token"].encode())
    creds = Credentials(account_id="acc-tg1", token=SECRETS["broker token"])
    await accounts.save_credentials(deps, "tg1", creds)


def test_no_secret_leaks_into_logs_documents_responses_or_dead_letters(
    emulators: Emulators,
    secret_manager: SecretManagerStub,
    topology: Topology,
    capture: logging.StreamHandler[io.StringIO],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    secret_manager.secrets[SECRET] = [DATA_KEY]
    emulators.wipe_firestore()
    for name, value in {
        "COPIER_MODE": "emulators",
        "COPIER_STORE": "sqlite",
        "COPIER_DATA_DIR": str(tmp_path),
        "COPIER_PUSH_AUTH": "off",
        "COPIER_LOG_LEVEL": "DEBUG",
        "COPIER_DATA_KEY_SECRET": SECRET,
        "COPIER_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    serving.process.cache_clear()
    serving.process().settings()  # configures the root logger (replacing its handlers) ...
    logging.getLogger().addHandler(capture)  # ... which every logger reaches: capture it there
    topology.named_topic("messages")
    observed = topology.pull_subscription(topology.named_topic("intents"))
    responses: list[bytes] = []

    with InProcessServers(["on_message", "on_intent", "on_dead_letter", "api"]) as servers:
        servers.call(_store_secrets())
        responses.append(_post(servers.urls["on_message"], push_body(channel_message())))
        intents = topology.pull(observed, 1)
        for intent in intents:
            responses.append(_post(servers.urls["on_intent"], push_body(intent.payload)))
        dead = open_intent("tg1", message_id=900)
        responses.append(
            _post(servers.urls["on_dead_letter"], push_body(dead, {"origin_topic": "intents"}))
        )
        with urllib.request.urlopen(servers.urls["api"] + "healthz", timeout=10) as health:
            responses.append(health.read())
        stored_secret = servers.call(serving.process().deps()).vault
        assert servers.call(stored_secret.get("bot.tg1")) == SECRETS["bot token"].encode()

    logged = capture.stream.getvalue().encode()
    assert escaped(capture) == []
    documents = asyncio.run(firestore_dump(emulators.project))
    sqlite = b"".join(p.read_bytes() for p in tmp_path.glob("copier.sqlite3*"))
    dead_letters = b"".join(i.data + repr(i.attributes).encode() for i in intents)
    dead_letters += json.dumps(dead).encode()
    assert b'"severity": "DEBUG"' in logged and b"users/tg1/private/bot" in documents
    assert json.loads(responses[1]) == {"status": "placed"} and CHAT.encode() in dead_letters
    places = {
        "logs": logged,
        "documents": documents,
        "sqlite": sqlite,
        "responses": b"".join(responses),
        "dead letters": dead_letters,
    }
    assert leaks(places, SECRET_BYTES) == []
