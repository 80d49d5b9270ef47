"""The demo through the cloud stack (Pub/Sub push → functions-framework → Firestore, on the
emulators) ends exactly where the local stack does, although Pub/Sub redelivers: every message
is published twice, and on_intent loses the acknowledgement of each first delivery.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.cli.demo import EXAMPLE
from signal_copier.config import Settings
from signal_copier.core.market import DealReason
from signal_copier.services import demo
from signal_copier.stack import demo as stack_demo
from signal_copier.stack.emulators import Emulators
from signal_copier.telegram import replay

CONTRACT = ("users", "messages", "signals", "commands", "ignored")


class AcknowledgementLost:
    """One function answers 500 to the first delivery of every message, after doing its work.

    Pub/Sub then redelivers work that is already done: the redelivery must change nothing.
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.seen: set[str] = set()
        self.failed = 0

    def wrap(self, target: str, app: ASGIApp) -> ASGIApp:
        """Return the app of `target`, failing once per message if it is the chosen one."""
        if target != self.target:
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
