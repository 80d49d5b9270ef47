"""on_dead_letter records an intent that gave up as failed WITH the fills the account shows, and
those legs stay managed: a later follow-up acts on them like on any copied trade.

The entry point is functions/main.py's, served by functions-framework on the local adapters; the
worker that gave up placed the first leg of two and then timed out on every later try.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from flaky import FlakyBroker
from function_apps import CHAT, GOLD_BUY, app, local_functions, onboard, push_body
from signal_copier import serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.model import ChangeKind, Intent, RawMessage, Status
from signal_copier.core.records import Plan
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts, pipeline
from signal_copier.services.deps import Deps

__all__ = ["local_functions"]
pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.fixture
def client(local_functions: Path) -> Iterator[TestClient]:
    with TestClient(app("on_dead_letter")) as opened:
        yield opened


def _call(client: TestClient, function: Any, *args: Any) -> Any:
    assert client.portal is not None
    return client.portal.call(function, *args)


async def _say(deps: Deps, text: str, message_id: int, reply_to: int | None = None) -> Intent:
    """Post a channel message through the pipeline; return the intent it published for tg1."""
    now = datetime.now(UTC)
    message = RawMessage(
        chat_id=CHAT, message_id=message_id, text=text, date=now, received=now, reply_to=reply_to
    )
    await pipeline.handle_message(message, deps, now)
    assert isinstance(deps.queue, InProcessQueue)
    published = [p for p in deps.queue.pending("intents") if p["message_id"] == message_id]
    assert [p["user_id"] for p in published] == ["tg1"]
    return codec.from_dict(Intent, published[0])


async def _give_up_after_the_first_leg(deps: Deps, intent: Intent) -> None:
    # The first order reaches the account; every later one times out: a worker that tried
    # until the queue gave up on the intent.
    flaky = replace(deps, broker=FlakyBroker(deps.broker, fail_on=range(2, 50)))
    for _ in range(2):
        with pytest.raises(BrokerUnavailable):
            await pipeline.execute_intent(intent, flaky, datetime.now(UTC))


def test_a_dead_lettered_intent_with_one_leg_placed_is_failed_with_that_fill_and_still_managed(
    client: TestClient,
) -> None:
    deps: Deps = _call(client, serving.process().deps)
    _call(client, onboard, deps, "tg1")
    two_legs = {"max_signal_age_s": 300, "lot": "0.20"}  # 0.10 for each TP
    _call(client, accounts.register_user, deps, "tg1", Plan.PREMIUM, two_legs)
    assert isinstance(deps.broker, PaperBroker)
    account = deps.broker.account("acc-tg1")
    signal = _call(client, _say, deps, GOLD_BUY, 812)
    _call(client, _give_up_after_the_first_leg, deps, signal)
    (placed,) = _call(client, account.positions)

    answer = client.post("/", json=push_body(codec.to_dict(signal), {"origin_topic": "intents"}))
    record = _call(client, deps.store.trade, "tg1", signal.id)
    close = _call(client, _say, deps, "Close now", 813, 812)
    closed = _call(client, pipeline.execute_intent, close, deps, datetime.now(UTC))

    assert (answer.status_code, answer.json()) == (200, {"status": "recorded_failed"})
    assert record is not None and record.result.status is Status.FAILED
    assert [(f.client_id, f.volume) for f in record.result.fills] == [
        (placed.client_id, placed.volume)
    ]
    assert closed is not None and closed.status is Status.APPLIED
    assert [(c.kind, c.target) for c in closed.changes] == [(ChangeKind.CLOSE, placed.id)]
    assert _call(client, account.positions) == []  # the leg that was left is closed too
