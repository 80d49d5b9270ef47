"""Polls through the real functions: the sweep publishes them, on_broker_event takes them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from function_apps import app, local_functions, onboard, open_intent, push_body
from signal_copier import serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec
from signal_copier.core.model import Intent
from signal_copier.core.records import Plan
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts, pipeline
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, Deps
from signal_copier.services.polling import poll_publication

__all__ = ["local_functions"]
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
AT = "2026-01-05T09:00:00Z"


@pytest.fixture
def client(request: pytest.FixtureRequest, local_functions: Path) -> Iterator[TestClient]:
    with TestClient(app(request.param)) as opened:
        yield opened


def _holding_a_trade(client: TestClient, user_id: str = "tg1") -> Deps:
    """Onboard a user with breakeven at TP1 and open the gold buy's two legs on paper."""
    assert client.portal is not None
    deps = client.portal.call(serving.process().deps)
    client.portal.call(onboard, deps, user_id)
    settings = {"max_signal_age_s": 300, "lot": "0.20", "breakeven_on_tp1": True}
    client.portal.call(accounts.register_user, deps, user_id, Plan.PREMIUM, settings)
    intent = codec.from_dict(Intent, open_intent(user_id))
    client.portal.call(pipeline.execute_intent, intent, deps, datetime.now(UTC))
    return deps


def _stops(client: TestClient, deps: Deps, user_id: str = "tg1") -> list[Decimal | None]:
    assert isinstance(deps.broker, PaperBroker) and client.portal is not None
    positions = client.portal.call(deps.broker.account(f"acc-{user_id}").positions)
    return sorted(p.sl for p in positions if p.sl is not None)


def _tp1_hits(deps: Deps) -> None:
    assert isinstance(deps.broker, PaperBroker)
    deps.broker.set_quotes({"XAUUSD": (Decimal("2655.5"), Decimal("2655.8"))}, datetime.now(UTC))


def _poll_body(client: TestClient, deps: Deps) -> dict[str, object]:
    assert client.portal is not None
    [(user_id, since)] = client.portal.call(deps.store.watched, 10)
    poll = poll_publication(user_id, since, datetime.now(UTC))
    return push_body(poll.payload, dict(poll.attributes))


@pytest.mark.parametrize("client", ["sweep"], indirect=True)
def test_the_sweep_answers_with_the_polls_it_published(client: TestClient) -> None:
    deps = _holding_a_trade(client)

    answer = client.post("/")

    assert answer.status_code == 200 and answer.json()["steps"]["polls_published"] == 1
    assert isinstance(deps.queue, InProcessQueue)
    [poll] = deps.queue.pending(BROKER_EVENTS_TOPIC)
    assert poll["user_id"] == "tg1"


@pytest.mark.parametrize("client", ["on_broker_event"], indirect=True)
def test_a_poll_moves_the_runner_to_breakeven_once_however_often_it_comes(
    client: TestClient,
) -> None:
    deps = _holding_a_trade(client)
    _tp1_hits(deps)  # nobody is told: the poll finds it in the deals
    body = _poll_body(client, deps)

    first = client.post("/", json=body)
    again = client.post("/", json=body)

    assert (first.status_code, first.json()) == (200, {"status": "polled"})
    assert (again.status_code, again.json()) == (200, {"status": "polled"})
    assert _stops(client, deps) == [Decimal("2650.30")]
    assert client.portal is not None
    records = client.portal.call(deps.store.trades, "tg1")
    assert len([r for r in records if r.intent.kind == "manage"]) == 1


@pytest.mark.parametrize("client", ["on_broker_event"], indirect=True)
@pytest.mark.parametrize(
    ("payload", "attributes"),
    [
        ({"user_id": "tg1", "minute": AT}, {"kind": "poll"}),
        ({"user_id": "tg1/x", "minute": AT, "since": AT}, {"kind": "poll"}),
        ({"user_id": "tg1"}, {"kind": "polls"}),
    ],
)
def test_a_bad_poll_is_acknowledged_as_malformed_and_changes_nothing(
    client: TestClient, payload: dict[str, object], attributes: dict[str, str]
) -> None:
    deps = _holding_a_trade(client)
    _tp1_hits(deps)
    assert client.portal is not None
    watched = client.portal.call(deps.store.watched, 10)

    answer = client.post("/", json=push_body(payload, attributes))

    assert (answer.status_code, answer.json()) == (200, {"status": "malformed"})
    assert client.portal.call(deps.store.watched, 10) == watched
    assert _stops(client, deps) == [Decimal("2640.00")]


@pytest.mark.parametrize("client", ["on_dead_letter"], indirect=True)
def test_a_dead_lettered_poll_is_logged_and_acknowledged(
    client: TestClient, capfd: pytest.CaptureFixture[str]
) -> None:
    poll = poll_publication("tg1", datetime.now(UTC), datetime.now(UTC))
    attributes = {**poll.attributes, "origin_topic": BROKER_EVENTS_TOPIC}

    answer = client.post("/", json=push_body(poll.payload, attributes))

    assert (answer.status_code, answer.json()) == (200, {"status": "logged"})
    assert "a poll of tg1 was dropped" in capfd.readouterr().err  # the JSON log line
