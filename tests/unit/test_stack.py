"""The stack's own parts: the replay clock, and the tracker that says when nothing is in flight."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from signal_copier.stack.clock import ReplayClock
from signal_copier.stack.topology import Observed, fingerprint
from signal_copier.stack.tracking import DeliveryTracker, StackStuck

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


class Published:
    """The observers' side: what was published, handed out once."""

    def __init__(self, *items: Observed) -> None:
        self.waiting = list(items)

    async def observe(self) -> list[Observed]:
        found, self.waiting = self.waiting, []
        return found


class Function:
    """A push endpoint answering `status`; it remembers the bodies it was given."""

    def __init__(self, status: int) -> None:
        self.status, self.bodies = status, list[bytes]()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.bodies.append(await Request(scope, receive).body())
        await JSONResponse({"status": "seen"}, status_code=self.status)(scope, receive, send)


def _observed(topic: str, message_id: str, dead_letter_of: str = "") -> Observed:
    return Observed(
        topic=topic,
        message_id=message_id,
        fingerprint=fingerprint(b'{"id": "i1"}', {"user": "tg1"}),
        dead_letter_of=dead_letter_of,
    )


def _push(topic: str, message_id: str) -> dict[str, object]:
    data = base64.b64encode(b'{"id": "i1"}').decode()
    return {
        "message": {"data": data, "messageId": message_id, "attributes": {"user": "tg1"}},
        "subscription": f"projects/p/subscriptions/{topic}-push",
    }


async def _deliver(app: ASGIApp, body: dict[str, object]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://function") as client:
        return await client.post("/", json=body)


def test_the_replay_clock_stands_still_and_never_goes_back() -> None:
    clock = ReplayClock(START)

    later = clock.advance(START + timedelta(minutes=1))
    kept = clock.advance(START)

    assert later == kept == clock() == START + timedelta(minutes=1)


def test_the_replay_clock_refuses_a_naive_start() -> None:
    with pytest.raises(ValueError, match="aware"):
        ReplayClock(datetime(2026, 1, 5, 9))


async def test_nothing_published_is_settled_at_once() -> None:
    tracker = DeliveryTracker(Published())

    await tracker.settle(within_s=5)

    assert tracker.outstanding() == {}


async def test_a_message_stays_in_flight_until_its_function_acknowledges_it() -> None:
    tracker = DeliveryTracker(Published(_observed("intents", "7")))
    refusing, accepting = Function(503), Function(200)

    await _deliver(tracker.track(refusing), _push("intents", "7"))
    with pytest.raises(StackStuck, match="'intents': 1"):
        await tracker.settle(within_s=0.2)
    await _deliver(tracker.track(accepting), _push("intents", "7"))
    await tracker.settle(within_s=5)

    assert tracker.refused == 1 and tracker.in_progress == 0


async def test_a_dead_lettered_message_is_handled_once_its_copy_is_acknowledged() -> None:
    original, copy = _observed("intents", "7"), _observed("intents-dead-letter", "9", "intents")
    tracker = DeliveryTracker(Published(original, copy))

    with pytest.raises(StackStuck, match="'intents-dead-letter': 1"):
        await tracker.settle(within_s=0.2)
    await _deliver(tracker.track(Function(200)), _push("intents-dead-letter", "9"))
    await tracker.settle(within_s=5)

    assert tracker.outstanding() == {}


async def test_an_acknowledged_message_does_not_hide_another_one() -> None:
    tracker = DeliveryTracker(Published(_observed("intents", "7"), _observed("intents", "8")))

    await _deliver(tracker.track(Function(200)), _push("intents", "7"))

    with pytest.raises(StackStuck, match="'intents': 1"):
        await tracker.settle(within_s=0.2)


async def test_the_tracker_hands_the_push_to_the_function_and_its_answer_back_unchanged() -> None:
    function = Function(202)
    body = _push("messages", "3")

    answer = await _deliver(DeliveryTracker(Published()).track(function), body)

    assert json.loads(function.bodies[0]) == body
    assert answer.status_code == 202 and answer.json() == {"status": "seen"}
