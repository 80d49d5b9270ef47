"""The cloud path's benchmarks: on_intent throughput through the real handler
(intent_throughput.py), the fan-out of one signal end to end through handle_message, the
sweep's polling step (poll_sweep.py), and the cloud-stack demo's latency per message.

Rows for ./dev bench (run.py); every emulator figure comes from one pair of emulators, found
running or started here and stopped by PID.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from intent_throughput import on_intent_throughput
from poll_sweep import polls_on_emulators

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.model import RawMessage
from signal_copier.core.records import Subscription
from signal_copier.queue.pubsub import PubSubQueue
from signal_copier.services.deps import Deps
from signal_copier.services.pipeline import handle_message
from signal_copier.stack import demo as stack_demo
from signal_copier.stack import emulators
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.firestore.encoding import to_native
from signal_copier.telegram import replay
from signal_copier.vault.local import LocalVault

ROOT = Path(__file__).resolve().parents[2]
CHAT = "-1009000000002"
GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
DEMO_CHANNEL = ROOT / "examples" / "demo_channel.jsonl"
Row = tuple[str, str, str, bool | None]  # name, value, target, met (None: no target)


async def fanout_end_to_end(
    found: emulators.Emulators, count: int, rounds: int = 3
) -> dict[str, Any]:
    """Time handle_message fanning a signal out to `count` followers on the emulators: the
    subscribers read page by page from Firestore, the intents published to Pub/Sub. Best and
    median of `rounds` signals (the best is the least disturbed on a shared machine).
    """
    project = f"bench-fanout-{uuid.uuid4().hex[:10]}"
    topic = f"http://{found.pubsub}/v1/projects/{project}/topics/intents"
    async with httpx.AsyncClient() as http:
        (await http.put(topic)).raise_for_status()
        try:
            async with FirestoreStore(project) as store:
                await _seed(store, count)
                queue = PubSubQueue(project, publish_timeout=60)
                vault = LocalVault(Path("/nonexistent/k"), Path("/nonexistent/s"))  # unused
                deps = Deps(store=store, queue=queue, vault=vault, broker=PaperBroker())
                seconds, published = [], []
                for message_id in range(1, rounds + 1):
                    now = datetime.now(UTC)
                    message = RawMessage(
                        chat_id=CHAT, message_id=message_id, text=GOLD_BUY, date=now, received=now
                    )
                    began = time.perf_counter()
                    await handle_message(message, deps, now)
                    seconds.append(time.perf_counter() - began)
                    stored = await store.message(message.id)
                    published.append(stored.fanned_out if stored else 0)
                await queue.aclose()
        finally:
            await http.delete(topic)
            found.for_project(project).wipe_firestore()
    best = min(seconds)
    return {"seconds": best, "median_s": statistics.median(seconds), "intents": min(published)}


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


def rows(folder: Path, *, fanout: int = 10_000) -> list[Row]:
    """Run the cloud benchmarks; return their rows (name, value, target, met) for the table.

    Each on_intent round pushes 400 intents (or `fanout`, if smaller: the smoke run), a
    quarter of them on the Firestore emulator (at least 80, one per concurrent request).
    """
    users = min(400, fanout)
    sqlite = {
        "COPIER_MODE": "local",
        "COPIER_DATA_DIR": str(folder / "on-intent"),
        "COPIER_PUSH_AUTH": "off",
        "COPIER_LOG_LEVEL": "ERROR",
    }
    local = asyncio.run(on_intent_throughput(sqlite, users))
    table = [_throughput_row("SQLite", local, 150)]
    found = emulators.find()
    if isinstance(found, str) and emulators.running(os.environ) is None:
        return [*table, ("cloud benchmarks on the emulators", "skipped", found, None)]
    with emulators.session(folder / "emulators") as stack:
        project = f"bench-intents-{uuid.uuid4().hex[:10]}"
        firestore = {**sqlite, "COPIER_STORE": "firestore", "COPIER_PROJECT": project}
        try:
            remote = asyncio.run(on_intent_throughput(firestore, min(max(users // 4, 80), users)))
        finally:
            stack.for_project(project).wipe_firestore()
        spread = asyncio.run(fanout_end_to_end(stack, fanout))
        polls = asyncio.run(polls_on_emulators(stack, fanout))
        latency = asyncio.run(stack_demo_latency(stack, folder))
    return [
        *table,
        _throughput_row("Firestore emulator", remote, None),
        (
            f"fan-out end to end: handle_message → {spread['intents']:,} intents (emulators;"
            f" best of 3, median {spread['median_s']:.2f} s)",
            f"{spread['seconds']:.2f} s",
            "<= 5 s",
            spread["seconds"] <= 5,
        ),
        (
            f"sweep: publish polls of {polls['accounts']:,} watched accounts (emulators;"
            f" best of 3, median {polls['median_s']:.2f} s)",
            f"{polls['best_s']:.2f} s",
            "<= 5 s",
            polls["best_s"] <= 5,
        ),
        ("cloud-stack demo: message → all handled (p50)", f"{latency['p50']:.0f} ms", "-", None),
        (
            f"cloud-stack demo: message → all handled (p99; run {latency['seconds']:.0f} s)",
            f"{latency['p99']:.0f} ms",
            "-",
            None,
        ),
    ]


def _throughput_row(store: str, figures: dict[str, Any], target: float | None) -> Row:
    warm, cold = figures["warm"], figures["cold"]
    answers = ", ".join(f"{n} {a}" for a, n in warm["answers"].items())  # "400 200 placed"
    note = (
        f"{answers}; {warm['calls_per_intent']:.1f} MetaAPI calls each; cold connections"
        f" {cold['per_s']:,.0f}/s at {cold['calls_per_intent']:.1f} calls"
    )
    return (
        f"on_intent, 80 at once, MetaAPI 100 ms/call, {store}: intents/s ({note})",
        f"{warm['per_s']:,.0f}",
        "-" if target is None else f">= {target:g}",
        None if target is None else warm["per_s"] >= target,
    )
