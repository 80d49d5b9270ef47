"""The demo through the cloud stack (Pub/Sub push → functions-framework → Firestore, on the
emulators) ends exactly where the local stack does, although Pub/Sub redelivers: every message
is published twice, and a function loses the acknowledgement of each first delivery.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.cli.demo import EXAMPLE
from signal_copier.config import Settings
from signal_copier.core.errors import InvalidInput
from signal_copier.core.market import DealReason
from signal_copier.services import demo
from signal_copier.stack import demo as stack_demo
from signal_copier.stack.emulators import Emulators
from signal_copier.telegram import replay

CONTRACT = ("users", "messages", "signals", "commands", "ignored")


class AcknowledgementLost:
    """Functions answer 500 to the first delivery of every message, after doing their work.

    Pub/Sub then redelivers work that is already done: the redelivery must change nothing.
    """

    def __init__(self, *targets: str) -> None:
        self.targets = targets
        self.seen: set[str] = set()
        self.failed = 0

    def wrap(self, target: str, app: ASGIApp) -> ASGIApp:
        """Return the app of `target`, failing once per message if it is a chosen one."""
        if target not in self.targets:
            return app

        async def failing_once(scope: Scope, receive: Receive, send: Send) -> None:
            body = await _body(receive)

            async def replay_body() -> Message:
                return {"type": "http.request", "body": body, "more_body": False}

            message_id = json.loads(body)["message"]["messageId"]
            if message_id in self.seen:
                await app(scope, replay_body, send)
                return
            self.seen.add(message_id)

            async def discard(message: Message) -> None:
                pass

            await app(scope, replay_body, discard)
            self.failed += 1
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"acknowledgement lost"})

        return failing_once


async def _body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


# Edits and follow-ups in every order: a reply before its signal (parked, woken), a signal
# received late, an edit of an executed signal, an edit seen without its original (it waits),
# a reply whose target never comes (no_position after its bound), a TP hit, another chat.
TRICKY = [
    {"date": "2026-02-02T10:00:00Z", "quote": {"EURUSD": [1.08, 1.08008]}},
    {"date": "2026-02-02T10:00:10Z", "chat": "@alphasignals", "id": 1, "reply_to": None,
     "text": "EURUSD BUY NOW\nSL 1.0750\nTP 1.0850\nTP 1.0900"},
    {"date": "2026-02-02T10:01:00Z", "chat": "@alphasignals", "id": 3, "text": "Close half",
     "reply_to": 2},
    {"date": "2026-02-02T10:00:30Z", "chat": "@alphasignals", "id": 2, "reply_to": None,
     "text": "GBPUSD BUY NOW\nSL 1.2650\nTP 1.2750", "received": "2026-02-02T10:01:30Z"},
    {"date": "2026-02-02T10:00:10Z", "chat": "@alphasignals", "id": 1, "reply_to": None,
     "text": "EURUSD BUY NOW\nSL 1.0760\nTP 1.0850\nTP 1.0900",
     "edit_date": "2026-02-02T10:02:00Z"},
    {"date": "2026-02-02T10:04:00Z", "chat": "@alphasignals", "id": 5, "reply_to": None,
     "text": "USDJPY SELL NOW\nSL 151.00\nTP 149.00", "edit_date": "2026-02-02T10:04:30Z"},
    {"date": "2026-02-02T10:05:00Z", "chat": "@alphasignals", "id": 4, "text": "Move SL to entry",
     "reply_to": 9},
    {"date": "2026-02-02T10:09:00Z", "quote": {"EURUSD": [1.0852, 1.0853]}},
    {"date": "2026-02-02T10:10:00Z", "chat": "@betasignals", "id": 7, "text": "Close all"},
    {"date": "2026-02-02T10:11:00Z", "chat": "@alphasignals", "id": 8, "text": "That's all"},
]  # fmt: skip


def _local(events: list[replay.ReplayEvent], folder: Path) -> tuple[dict[str, Any], PaperBroker]:
    settings = replace(Settings.from_env({}), data_dir=folder)
    runtime = bootstrap.build_local(settings, start=events[0].at)
    try:
        summary = asyncio.run(demo.run(events, runtime.deps, runtime.queue, runtime.broker))
    finally:
        runtime.close()
    return summary, runtime.broker


def _client_ids(paper: PaperBroker, account_id: str) -> Counter[str]:
    # Every order that reached the account: the opening deals, and the entries still pending.
    ledger = paper.account(account_id).ledger
    opened = [d.client_id for d in ledger.deals if d.reason is DealReason.OPEN]
    return Counter(opened + [o.client_id for o in ledger.orders.values()])


def test_demo_channel_through_the_cloud_stack_with_redeliveries_ends_as_the_local_stack(
    emulators: Emulators, tmp_path: Path
) -> None:
    events = replay.load(EXAMPLE)
    local, local_paper = _local(events, tmp_path)
    lost = AcknowledgementLost("on_intent")
    options = stack_demo.StackOptions(copies=2, wrap=lost.wrap)

    cloud = stack_demo.replay_on_emulators(events, options=options)

    assert {k: cloud.summary[k] for k in CONTRACT} == {k: local[k] for k in CONTRACT}
    assert cloud.summary["details"] == local["details"]
    assert lost.failed == len(lost.seen) > 0 and cloud.refused >= lost.failed
    for user in demo.DEMO_USERS:
        placed = _client_ids(cloud.paper, f"paper-{user.user_id}")
        assert placed and max(placed.values()) == 1, f"a clientId was sent twice: {placed}"
        assert placed == _client_ids(local_paper, f"paper-{user.user_id}")


def test_a_channel_in_every_order_through_the_cloud_stack_ends_as_the_local_stack(
    emulators: Emulators, tmp_path: Path
) -> None:
    events = replay.read_events(json.dumps(line) for line in TRICKY)
    local, local_paper = _local(events, tmp_path)
    lost = AcknowledgementLost("on_message", "on_broker_event")
    options = stack_demo.StackOptions(copies=2, wrap=lost.wrap)

    cloud = stack_demo.replay_on_emulators(events, options=options)

    assert {k: cloud.summary[k] for k in CONTRACT} == {k: local[k] for k in CONTRACT}
    assert local["users"]["alice"]["skipped"]["no_position"] >= 1  # the bound passed on the way
    messages = sum(event.message is not None for event in events)
    assert lost.failed == len(lost.seen) > 2 * messages  # both copies of each, and the events
    for user in demo.DEMO_USERS:
        placed = _client_ids(cloud.paper, f"paper-{user.user_id}")
        assert max(placed.values()) == 1
        assert placed == _client_ids(local_paper, f"paper-{user.user_id}")


def test_a_chat_the_cloud_path_refuses_stops_the_stack_before_it_starts() -> None:
    line = {"date": "2026-02-02T10:00:00Z", "chat": "@a", "id": 1, "text": "EURUSD BUY NOW"}
    events = replay.read_events([json.dumps(line)])

    with pytest.raises(InvalidInput, match="replay line 1: chat_id"):
        stack_demo.replay_on_emulators(events)
