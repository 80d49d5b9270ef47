"""firestore.rules on the Firestore emulator, through its REST API with unsigned test tokens
(TESTING_NOTES): the user reads their own documents and followed chats' logs, nothing else,
and writes nothing anywhere."""

from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from conftest import repo_root
from signal_copier.stack.emulators import Emulators

ALICE, BOB = "tg1001", "tg2002"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _token(uid: str, project: str) -> str:
    now = int(time.time())
    claims = {
        "sub": uid,
        "user_id": uid,
        "aud": project,
        "iss": f"https://securetoken.google.com/{project}",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "custom", "identities": {}},
    }
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


class Rest:
    """The emulator's REST API as one signed-in user (or the admin, 'owner')."""

    def __init__(self, emulators: Emulators, bearer: str) -> None:
        self._base = (
            f"http://{emulators.firestore}/v1/projects/{emulators.project}"
            "/databases/(default)/documents"
        )
        self._bearer = bearer

    def status(self, method: str, path: str, fields: dict[str, Any] | None = None) -> int:
        body = None if fields is None else json.dumps({"fields": fields}).encode()
        headers = {"Content-Type": "application/json"}
        if self._bearer:
            headers["Authorization"] = f"Bearer {self._bearer}"
        request = urllib.request.Request(
            f"{self._base}/{path}", data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as e:
            return e.code


DOCS = {
    f"users/{ALICE}": {"plan": {"stringValue": "free"}},
    f"users/{ALICE}/trades/t1": {"status": {"stringValue": "placed"}},
    f"users/{ALICE}/bot/status": {"state": {"stringValue": "running"}},
    f"users/{ALICE}/activity/a1": {"action": {"stringValue": "started"}},
    f"users/{ALICE}/usage/2026-01-05": {"used": {"integerValue": "1"}},
    f"users/{ALICE}/channels/-100777": {"overrides": {"mapValue": {}}},
    f"users/{ALICE}/private/credentials": {"sealed": {"stringValue": "x"}},
    f"users/{ALICE}/private/telegram_login": {"phone": {"stringValue": "+44"}},
    f"users/{ALICE}/private/broker": {"ciphertext": {"bytesValue": "AAAA"}},
    f"users/{ALICE}/private/telegram": {"ciphertext": {"bytesValue": "AAAA"}},
    f"users/{ALICE}/chats/-100777": {"title": {"stringValue": "Gold VIP"}},
    f"users/{ALICE}/web/profile": {"account_id": {"stringValue": "acc"}},
    "sessions/tg1001": {"state": {"stringValue": "linked"}},
    f"users/{BOB}": {"plan": {"stringValue": "premium"}},
    f"users/{BOB}/trades/t9": {"status": {"stringValue": "placed"}},
    "chats/-100777/log/-100777:5:0": {"kind": {"stringValue": "open"}},
    "chats/-100888/log/-100888:6:0": {"kind": {"stringValue": "open"}},
    "chats/-100777/subscribers/tg1001": {"since": {"stringValue": "now"}},
    "messages/-100777:5:0": {"kind": {"stringValue": "open"}},
    "intents/i1": {"state": {"stringValue": "done"}},
    "shards/0": {"owner": {"stringValue": "w1"}},
    "sessions/tg1001/watermarks/-100777": {"id": {"integerValue": "5"}},
    "audit/e1": {"action": {"stringValue": "kill_switch"}},
    "auth_nonces/n1": {"data": {"mapValue": {}}},
    "ratelimits/r1": {"hits": {"integerValue": "1"}},
    "accounts/acc": {"user_id": {"stringValue": ALICE}},
    "parked/m/intents/i": {"x": {"stringValue": "y"}},
}


@pytest.fixture
def rest(firestore_emulator: Emulators) -> tuple[Rest, Rest]:
    """Load the rules, seed every kind of document as admin; return (alice, bob) clients."""
    firestore_emulator.load_rules((repo_root() / "firestore.rules").read_text())
    admin = Rest(firestore_emulator, "owner")
    for path, fields in DOCS.items():
        assert admin.status("PATCH", path, fields) == 200, path
    project = firestore_emulator.project
    alice = Rest(firestore_emulator, _token(ALICE, project))
    bob = Rest(firestore_emulator, _token(BOB, project))
    return alice, bob


OWN = [
    f"users/{ALICE}",
    f"users/{ALICE}/trades/t1",
    f"users/{ALICE}/bot/status",
    f"users/{ALICE}/activity/a1",
    f"users/{ALICE}/usage/2026-01-05",
    f"users/{ALICE}/channels/-100777",
    f"users/{ALICE}/chats/-100777",
    f"users/{ALICE}/web/profile",
    "chats/-100777/log/-100777:5:0",
]
CLOSED = [
    f"users/{ALICE}/private/credentials",
    f"users/{ALICE}/private/telegram_login",
    f"users/{ALICE}/private/broker",  # the sealed MetaAPI token: removed only by the API
    f"users/{ALICE}/private/telegram",  # the sealed Telegram session: unlinked only by the API
    "sessions/tg1001",  # the fleet's record of the session
    f"users/{BOB}",
    f"users/{BOB}/trades/t9",
    "chats/-100888/log/-100888:6:0",
    "chats/-100777/subscribers/tg1001",
    "messages/-100777:5:0",
    "intents/i1",
    "shards/0",
    "sessions/tg1001/watermarks/-100777",
    "audit/e1",
    "auth_nonces/n1",
    "ratelimits/r1",
    "accounts/acc",
    "parked/m/intents/i",
]


@pytest.mark.parametrize("path", OWN)
def test_user_reads_own_documents_and_followed_chat_logs(
    rest: tuple[Rest, Rest], path: str
) -> None:
    alice, _ = rest

    assert alice.status("GET", path) == 200


@pytest.mark.parametrize("path", CLOSED)
def test_private_others_and_server_documents_are_closed(rest: tuple[Rest, Rest], path: str) -> None:
    alice, _ = rest

    assert alice.status("GET", path) == 403


@pytest.mark.parametrize("path", [*OWN, *CLOSED, "newcollection/x"])
def test_no_client_writes_anywhere(rest: tuple[Rest, Rest], path: str) -> None:
    alice, _ = rest

    assert alice.status("PATCH", path, {"hacked": {"booleanValue": True}}) == 403
    assert alice.status("DELETE", path) == 403


def test_another_user_cannot_read_alices_documents_or_her_followed_log(
    rest: tuple[Rest, Rest],
) -> None:
    _, bob = rest

    assert bob.status("GET", f"users/{ALICE}") == 403
    assert bob.status("GET", f"users/{ALICE}/trades/t1") == 403
    assert bob.status("GET", "chats/-100777/log/-100777:5:0") == 403
    assert bob.status("GET", f"users/{BOB}/trades/t9") == 200


def test_signed_out_reads_nothing(firestore_emulator: Emulators, rest: tuple[Rest, Rest]) -> None:
    anonymous = Rest(firestore_emulator, "")

    assert anonymous.status("GET", f"users/{ALICE}") == 403
    assert anonymous.status("GET", "chats/-100777/log/-100777:5:0") == 403
