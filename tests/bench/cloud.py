"""The cloud path's benchmarks: on_intent throughput through the real handler, the fan-out of one
signal end to end through handle_message, and the cloud-stack demo's latency per message.

Rows for ./dev bench (run.py); every emulator figure comes from one pair of emulators, found
running or started here and stopped by PID.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
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
from signal_copier.core.model import Intent, IntentKind, RawMessage
from signal_copier.core.parsing import parse
from signal_copier.core.records import Plan, Subscription
from signal_copier.queue.pubsub import PubSubQueue
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from signal_copier.services.pipeline import handle_message
from signal_copier.stack import demo as stack_demo
from signal_copier.stack import emulators
from signal_copier.stack.servers import function_app
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.firestore.encoding import to_native
from signal_copier.telegram import replay
from signal_copier.vault.local import LocalVault

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))  # the fake MetaAPI SDK lives beside the tests

from fakes.metaapi import FakeSdk  # noqa: E402
from fakes.mt5 import Mt5Server  # noqa: E402
from signal_copier.broker.metaapi import Limits, MetaApiBroker  # noqa: E402

CHAT = "-1009000000001"
GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
DEMO_CHANNEL = ROOT / "examples" / "demo_channel.jsonl"
Row = tuple[str, str, str]


@dataclass
class SlowMt5Server(Mt5Server):
    """The fake MetaAPI's server, answering every request after `delay` seconds."""

    delay: float = 0.1
    in_flight: int = 0
    most_in_flight: int = field(default=0)

    async def request(self, method: str, act: Any) -> Any:
        """Wait `delay`, then answer as the fake server does."""
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return await super().request(method, act)
        finally:
            self.in_flight -= 1


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
    hosted = serving.Serving(environ, stack_demo.with_broker(broker))
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
    return {**rounds, "most_metaapi_in_flight": server.most_in_flight}


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


async def fanout_end_to_end(found: emulators.Emulators, count: int) -> dict[str, Any]:
    """Time handle_message fanning one signal out to `count` followers on the emulators:
    the subscribers read page by page from Firestore, the intents published to Pub/Sub.
    """
    project = f"bench-fanout-{uuid.uuid4().hex[:10]}"
    host = f"http://{found.pubsub}/v1/projects/{project}/topics/intents"
    async with httpx.AsyncClient() as http:
        (await http.put(host)).raise_for_status()
        try:
            async with FirestoreStore(project) as store:
                await _seed(store, count)
                queue = PubSubQueue(project, publish_timeout=60)
                deps = Deps(
                    store=store,
                    queue=queue,
                    vault=LocalVault(Path("/nonexistent/k"), Path("/nonexistent/s")),
                    broker=PaperBroker(),
                )
                now = datetime.now(UTC)
                message = RawMessage(
                    chat_id=CHAT, message_id=1, text=GOLD_BUY, date=now, received=now
                )
                began = time.perf_counter()
                record = await handle_message(message, deps, now)
                seconds = time.perf_counter() - began
                await queue.aclose()
                stored = await store.message(record.key) if record else None
        finally:
            await http.delete(host)
            found.for_project(project).wipe_firestore()
    return {"seconds": seconds, "intents": stored.fanned_out if stored else 0}


async def _seed(store: FirestoreStore, count: int) -> None:
    for start in range(0, count, 500):  # 500 writes per commit
        batch = store.db.batch()
        for n in range(start, min(start + 500, count)):
            follower = Subscription(user_id=f"tg{n:07}", chat_id=CHAT)
            batch.set(
                store.doc("chats", CHAT, "subscribers", follower.user_id), to_native(follower)
            )
        await batch.commit()


async def stack_demo_latency(
    found: emulators.Emulators, folder: Path, channel: Path = DEMO_CHANNEL
) -> dict[str, Any]:
    """Run the demo channel through the cloud stack; return its latency per message."""
    events = replay.load(channel)
    began = time.perf_counter()
    run = await stack_demo.run(events, found, folder)
    return {**run.summary["latency_ms"], "seconds": time.perf_counter() - began}


def rows(folder: Path, *, users: int = 400, fanout: int = 10_000) -> list[Row]:
    """Run the cloud benchmarks; return their rows for the table."""
    sqlite = {
        "COPIER_MODE": "local",
        "COPIER_DATA_DIR": str(folder / "on-intent"),
        "COPIER_PUSH_AUTH": "off",
        "COPIER_LOG_LEVEL": "ERROR",
    }
    local = asyncio.run(on_intent_throughput(sqlite, users))
    table = [_throughput_row("SQLite", local, ">= 150")]
    found = emulators.find()
    if isinstance(found, str) and emulators.running(os.environ) is None:
        return [*table, ("cloud benchmarks on the emulators", "skipped", found)]
    with emulators.session(folder / "emulators") as stack:
        project = f"bench-intents-{uuid.uuid4().hex[:10]}"
        firestore = {**sqlite, "COPIER_STORE": "firestore", "COPIER_PROJECT": project}
        try:
            remote = asyncio.run(on_intent_throughput(firestore, max(users // 4, 80)))
        finally:
            stack.for_project(project).wipe_firestore()
        spread = asyncio.run(fanout_end_to_end(stack, fanout))
        latency = asyncio.run(stack_demo_latency(stack, folder))
    return [
        *table,
        _throughput_row("Firestore emulator", remote, "-"),
        (
            f"fan-out end to end: handle_message → {spread['intents']:,} intents (emulators)",
            f"{spread['seconds']:.2f} s",
            "<= 5 s",
        ),
        ("cloud-stack demo: message → all handled (p50)", f"{latency['p50']:.0f} ms", "-"),
        (
            f"cloud-stack demo: message → all handled (p99; run {latency['seconds']:.0f} s)",
            f"{latency['p99']:.0f} ms",
            "-",
        ),
    ]


def _throughput_row(store: str, figures: dict[str, Any], target: str) -> Row:
    warm, cold = figures["warm"], figures["cold"]
    answers = ", ".join(f"{n} {a}" for a, n in warm["answers"].items())  # "400 200 placed"
    note = (
        f"{answers}; {warm['calls_per_intent']:.1f} MetaAPI calls each; cold connections"
        f" {cold['per_s']:,.0f}/s at {cold['calls_per_intent']:.1f} calls"
    )
    return (
        f"on_intent, 80 at once, MetaAPI 100 ms/call, {store}: intents/s ({note})",
        f"{warm['per_s']:,.0f}",
        target,
    )
