"""on_intent's throughput through the real handler: functions/main.py's on_intent app, driven
in-process 80 requests at a time, over MetaAPI's fake SDK answering every call after 100 ms.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from signal_copier import serving
from signal_copier.broker.paper import PaperBroker
from signal_copier.core import codec, ids
from signal_copier.core.market import Credentials
from signal_copier.core.model import Intent, IntentKind
from signal_copier.core.parsing import parse
from signal_copier.core.records import Plan
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.stack.demo import with_broker
from signal_copier.stack.servers import function_app

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the fake SDK lives in tests/

from fakes.metaapi import FakeSdk
from fakes.mt5 import Mt5Server
from signal_copier.broker.metaapi import Limits, MetaApiBroker

CHAT = "-1009000000001"
GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"


@dataclass
class SlowMt5Server(Mt5Server):
    """The fake MetaAPI's server, answering every request after `delay` seconds."""

    delay: float = 0.1

    async def request(self, method: str, act: Any) -> Any:
        """Wait `delay`, then answer as the fake server does."""
        await asyncio.sleep(self.delay)
        return await super().request(method, act)


async def on_intent_throughput(
    environ: dict[str, str], users: int, concurrency: int = 80
) -> dict[str, Any]:
    """Push one opening intent per user through functions/main.py's on_intent, `concurrency`
    at a time, over MetaAPI answering after 100 ms: a cold round (connections open), then a
    warm one (the same users again). Returns intents/s of each and MetaAPI calls per intent.
    """
    paper = PaperBroker(now=datetime.now(UTC))
    server = SlowMt5Server(paper)
    broker = MetaApiBroker(sdk=FakeSdk(server), limits=Limits(close_grace=0))
    hosted = serving.Serving(environ, with_broker(broker))
    with serving.hosting(hosted):
        app = function_app("on_intent")
    try:
        deps = await hosted.deps()
        await _onboard(deps, paper, users)
        rounds = {}
        for name, message_id in (("cold", 1), ("warm", 2)):
            calls = len(server.calls)
            rounds[name] = await _drive(app, _intents(users, message_id), concurrency)
            rounds[name]["calls_per_intent"] = (len(server.calls) - calls) / users
    finally:
        await hosted.aclose()
        await broker.aclose()
    return rounds


async def _onboard(deps: Deps, paper: PaperBroker, users: int) -> None:
    async def one(n: int) -> None:
        user = f"tg{n:07}"
        await accounts.register_user(deps, user, Plan.PREMIUM, {"max_signal_age_s": 3600})
        await accounts.follow_channel(deps, user, CHAT)
        paper.open_account(f"acc-{user}", balance=Decimal(1_000_000))
        credentials = Credentials(account_id=f"acc-{user}", token=f"token-{user}-0123456789")
        await accounts.save_credentials(deps, user, credentials)

    for start in range(0, users, 20):  # a few at a time: the emulator dislikes bursts
        await asyncio.gather(*(one(n) for n in range(start, min(start + 20, users))))


def _intents(users: int, message_id: int) -> list[dict[str, Any]]:
    now, signal = datetime.now(UTC), parse(GOLD_BUY).signals[0]
    return [
        codec.to_dict(
            Intent(
                id=ids.intent_id(CHAT, message_id, 0, f"tg{n:07}"),
                user_id=f"tg{n:07}",
                kind=IntentKind.OPEN,
                chat_id=CHAT,
                message_id=message_id,
                version=0,
                message_date=now,
                received=now,
                signal=signal,
                trace_id=f"bench-{message_id}",
            )
        )
        for n in range(users)
    ]


async def _drive(app: ASGIApp, payloads: list[dict[str, Any]], concurrency: int) -> dict[str, Any]:
    answers: Counter[str] = Counter()
    pending = iter(payloads)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://on-intent") as client:

        async def worker(work: Iterator[dict[str, Any]]) -> None:
            for payload in work:
                answer = await client.post("/", json=_push(payload), timeout=120)
                answers[f"{answer.status_code} {answer.json().get('status')}"] += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(pending) for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return {"per_s": len(payloads) / elapsed, "answers": dict(answers)}


def _push(payload: dict[str, Any]) -> dict[str, Any]:
    data = base64.b64encode(json.dumps(payload).encode()).decode()
    message = {"data": data, "messageId": payload["id"]}
    return {"message": message, "subscription": "projects/bench/subscriptions/intents-push"}
