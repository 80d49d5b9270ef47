"""The entry points of functions/main.py, served by functions-framework, on the local adapters."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from function_apps import (
    app,
    body_id,
    channel_message,
    local_functions,
    onboard,
    open_intent,
    orders_on_account,
    push_body,
)
from signal_copier import serving
from signal_copier.core import codec
from signal_copier.core.model import Intent, Status
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import Deps
from signal_copier.stack.emulators import free_port

__all__ = ["local_functions"]
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def client(request: pytest.FixtureRequest, local_functions: Path) -> Iterator[TestClient]:
    with TestClient(app(request.param)) as opened:
        yield opened


def _deps(client: TestClient) -> Deps:
    assert client.portal is not None
    return client.portal.call(serving.process().deps)


def _onboard(client: TestClient, user_id: str) -> Deps:
    deps = _deps(client)
    assert client.portal is not None
    client.portal.call(onboard, deps, user_id)
    return deps


def _intents(deps: Deps) -> list[dict[str, Any]]:
    assert isinstance(deps.queue, InProcessQueue)
    return deps.queue.pending("intents")


@pytest.mark.parametrize("client", ["on_message"], indirect=True)
def test_on_message_publishes_one_intent_per_subscriber_and_a_redelivery_is_a_no_op(
    client: TestClient,
) -> None:
    deps = _onboard(client, "tg1")
    _onboard(client, "tg2")
    body = push_body(channel_message(), {"trace": "t-42"})

    first = client.post("/", json=body)
    again = client.post("/", json=body)

    assert (first.status_code, first.json()) == (200, {"status": "done"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    intents = _intents(deps)
    assert sorted(i["user_id"] for i in intents) == ["tg1", "tg2"]


@pytest.mark.parametrize("client", ["on_intent"], indirect=True)
def test_on_intent_places_the_orders_once_however_often_it_is_delivered(
    client: TestClient,
) -> None:
    deps = _onboard(client, "tg1")
    body = push_body(open_intent("tg1"), {"user": "tg1", "trace": "t-1"})

    first = client.post("/", json=body)
    placed = orders_on_account(client, deps, "tg1")
    again = client.post("/", json=body)

    assert (first.status_code, first.json()) == (200, {"status": str(Status.PLACED)})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert client.portal is not None
    record = client.portal.call(deps.store.trade, "tg1", body_id(body))
    assert record is not None and placed == len(record.result.fills) >= 1
    assert orders_on_account(client, deps, "tg1") == placed


@pytest.mark.parametrize("client", ["on_intent"], indirect=True)
def test_an_intent_claimed_by_another_worker_is_redelivered_later(client: TestClient) -> None:
    deps = _onboard(client, "tg1")
    payload = open_intent("tg1")
    assert client.portal is not None
    intent = codec.from_dict(Intent, payload)
    client.portal.call(
        deps.store.claim, intent, "other:1", datetime.now(UTC), timedelta(seconds=60)
    )

    answer = client.post("/", json=push_body(payload))

    assert (answer.status_code, answer.json()) == (503, {"status": "retry", "reason": "in_flight"})
    assert orders_on_account(client, deps, "tg1") == 0


@pytest.mark.parametrize("client", ["on_intent"], indirect=True)
def test_an_intent_without_credentials_is_rejected_recorded_and_acknowledged(
    client: TestClient,
) -> None:
    deps = _onboard(client, "tg1")
    assert client.portal is not None
    client.portal.call(deps.vault.delete, "broker.tg1")

    answer = client.post("/", json=push_body(open_intent("tg1")))

    assert answer.status_code == 200
    record = client.portal.call(deps.store.trade, "tg1", open_intent("tg1")["id"])
    assert record is not None and record.result.status is not Status.PLACED


@pytest.mark.parametrize("client", ["on_intent"], indirect=True)
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"subscription": "s"}',
        b'{"message": {"data": 5}}',
        b'{"message": {"data": "***not base64***"}}',
        b'{"message": {"data": "' + base64.b64encode(b"not json") + b'"}}',
        b'{"message": {"data": "' + base64.b64encode(b"[1]") + b'"}}',
        b'{"message": {"data": "' + base64.b64encode(b'{"id": 1}') + b'"}}',
        b'{"message": {"data": "e30=", "attributes": {"user": 5}}}',
        b'{"message": ' * 100_000,
        b'{"message": {"data": "' + base64.b64encode(b"[" * 100_000) + b'"}}',
    ],
    ids=[
        "not-json",
        "not-object",
        "no-message",
        "data-not-string",
        "data-not-base64",
        "data-not-json",
        "data-not-object",
        "not-an-intent",
        "attribute-not-string",
        "envelope-nested-past-what-json-reads",
        "data-nested-past-what-json-reads",
    ],
)
def test_a_malformed_push_is_acknowledged_and_changes_nothing(
    client: TestClient, body: bytes
) -> None:
    deps = _onboard(client, "tg1")

    answer = client.post("/", content=body, headers={"content-type": "application/json"})

    assert (answer.status_code, answer.json()) == (200, {"status": "malformed"})
    assert orders_on_account(client, deps, "tg1") == 0


@pytest.mark.parametrize("client", ["on_intent"], indirect=True)
@pytest.mark.parametrize("user_id", ["tg1/private/broker", "..", "__x__", ""])
def test_an_intent_for_an_id_outside_the_safe_alphabet_is_acknowledged_as_malformed(
    client: TestClient, user_id: str
) -> None:
    deps = _onboard(client, "tg1")
    payload = {**open_intent("tg1"), "user_id": user_id}

    answer = client.post("/", json=push_body(payload))

    assert answer.json() == {"status": "malformed"}
    assert orders_on_account(client, deps, "tg1") == 0


@pytest.mark.parametrize("client", ["on_message"], indirect=True)
@pytest.mark.parametrize("chat", ["chats/x", "", "@a", "-100/1"])
def test_a_message_from_a_malformed_chat_id_is_acknowledged_and_stores_nothing(
    client: TestClient, chat: str
) -> None:
    deps = _onboard(client, "tg1")

    answer = client.post("/", json=push_body({**channel_message(), "chat_id": chat}))

    assert answer.json() == {"status": "malformed"}
    assert client.portal is not None
    assert client.portal.call(deps.store.latest_message, chat, 812) is None


@pytest.mark.parametrize("client", ["on_broker_event"], indirect=True)
def test_a_broker_event_for_a_trade_the_copier_does_not_know_changes_nothing(
    client: TestClient,
) -> None:
    _onboard(client, "tg1")
    event = {
        "kind": "position_closed",
        "account_id": "acc-tg1",
        "position_id": "9",
        "client_id": "sc0123456789abcdef01.1",
        "symbol": "XAUUSD",
        "price": "2655",
        "volume": "0.01",
        "time": (datetime.now(UTC) - timedelta(minutes=11)).isoformat(),
        "reason": "tp",
    }
    fresh = {**event, "time": datetime.now(UTC).isoformat()}

    answer = client.post("/", json=push_body(event, {"user": "tg1"}))
    unattributed = client.post("/", json=push_body(event))
    too_early = client.post("/", json=push_body(fresh, {"user": "tg1"}))

    assert (answer.status_code, answer.json()) == (200, {"status": "nothing_to_do"})
    assert unattributed.json() == {"status": "malformed"}  # no user attribute
    # A fresh event may have overtaken the opening of its trade: it comes again, not dropped.
    assert too_early.status_code == 503


@pytest.mark.parametrize("client", ["on_dead_letter"], indirect=True)
def test_a_dead_lettered_intent_is_recorded_as_failed(client: TestClient) -> None:
    deps = _onboard(client, "tg1")
    payload = open_intent("tg1")

    answer = client.post("/", json=push_body(payload, {"origin_topic": "intents"}))

    assert (answer.status_code, answer.json()) == (200, {"status": "recorded_failed"})
    assert client.portal is not None
    record = client.portal.call(deps.store.trade, "tg1", payload["id"])
    assert record is not None and record.result.status is Status.FAILED


@pytest.mark.parametrize("client", ["on_dead_letter"], indirect=True)
@pytest.mark.parametrize(
    ("origin", "outcome"),
    [("messages", "logged"), ("broker-events", "logged"), ("", "unknown_origin")],
)
def test_other_dead_letters_are_logged_and_acknowledged(
    client: TestClient, origin: str, outcome: str
) -> None:
    attributes = {"origin_topic": origin} if origin else {}

    answer = client.post("/", json=push_body(channel_message(), attributes))

    assert (answer.status_code, answer.json()) == (200, {"status": outcome})


@pytest.mark.parametrize("client", ["sweep"], indirect=True)
def test_the_sweep_republishes_an_intent_whose_worker_died_and_reports_each_step(
    client: TestClient,
) -> None:
    deps = _onboard(client, "tg1")
    intent = codec.from_dict(Intent, open_intent("tg1"))
    crashed_at = datetime.now(UTC) - timedelta(minutes=5)
    assert client.portal is not None
    client.portal.call(deps.store.claim, intent, "dead:1", crashed_at, timedelta(seconds=60))

    answer = client.post("/")

    assert answer.status_code == 200
    assert answer.json() == {
        "status": "done",
        "steps": {
            "edits_resumed": 0,
            "parked_rerun": 0,
            "claims_republished": 1,
            "pending_expired": 0,
            "fleet_scaled": 0,  # no linked session: the one listener stays
            "polls_published": 0,
        },
        "failed": {},
    }
    assert [i["id"] for i in _intents(deps)] == [intent.id]


@pytest.mark.parametrize("client", ["api"], indirect=True)
def test_the_api_answers_its_health_route(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_a_publish_that_cannot_be_confirmed_is_answered_503_for_redelivery(
    local_functions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPIER_QUEUE", "pubsub")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-unreachable")
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{free_port()}")  # nobody answers
    monkeypatch.setenv("COPIER_PUBLISH_TIMEOUT_S", "0.5")
    with TestClient(app("on_message")) as client:
        _onboard(client, "tg1")

        answer = client.post("/", json=push_body(channel_message()))

    assert (answer.status_code, answer.json()) == (
        503,
        {"status": "retry", "reason": "queue_unavailable"},
    )


def test_bad_settings_keep_the_message_for_redelivery(
    local_functions: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COPIER_STORE", "postgres")
    with TestClient(app("on_intent")) as client:
        answer = client.post("/", json=push_body(open_intent("tg1")))

    assert (answer.status_code, answer.json()) == (500, {"status": "unavailable"})


def test_stopping_the_server_loop_closes_the_runtime(local_functions: Path) -> None:
    with TestClient(app("api")) as client:
        deps = _deps(client)
        assert client.portal is not None
        assert client.portal.call(deps.store.get_user, "tg1") is None  # open while serving

    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(deps.store.get_user("tg1"))


def test_a_new_serving_loop_gets_its_own_runtime(local_functions: Path) -> None:
    with TestClient(app("api")) as first:
        before = _deps(first)
    with TestClient(app("api")) as second:
        after = _deps(second)

    assert after is not before
