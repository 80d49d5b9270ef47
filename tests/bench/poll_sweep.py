"""The sweep's polling step: page through the watched accounts, publish one poll each.

On SQLite with the in-process queue, and on the emulators (Firestore store, Pub/Sub queue). The
polls themselves run later, in on_broker_event; here only the step the sweep waits for is timed.
"""

from __future__ import annotations

import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from signal_copier.broker.paper import PaperBroker
from signal_copier.core import ids
from signal_copier.core.ports import Queue, Store
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, Deps
from signal_copier.services.polling import request_polls
from signal_copier.stack import emulators
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.local import LocalVault

START = datetime(2026, 1, 5, 9, tzinfo=UTC)


def _users(count: int) -> list[str]:
    return [ids.user_id(100_000 + n) for n in range(count)]


async def _time_step(store: Store, queue: Queue, count: int, rounds: int) -> dict[str, Any]:
    vault = LocalVault(Path("/nonexistent/k"), Path("/nonexistent/s"))  # the step never reads it
    deps = Deps(store=store, queue=queue, vault=vault, broker=PaperBroker())
    seconds = []
    for n in range(rounds):
        began = time.perf_counter()
        published = await request_polls(deps, START + timedelta(minutes=n + 1))
        seconds.append(time.perf_counter() - began)
        if published != count:
            raise RuntimeError(f"published {published} polls for {count} watched accounts")
    return {"accounts": count, "best_s": min(seconds), "median_s": statistics.median(seconds)}


async def polls_on_sqlite(count: int, folder: Path, rounds: int = 3) -> dict[str, Any]:
    """Time the step for `count` watched accounts on a SQLite file and the in-process queue."""
    store = SqliteStore(str(folder / f"polls-{uuid.uuid4().hex[:8]}.sqlite3"))
    try:
        for user_id in _users(count):
            await store.watch(user_id, START, START)
        return await _time_step(store, InProcessQueue(), count, rounds)
    finally:
        store.close()


async def polls_on_emulators(
    found: emulators.Emulators, count: int, rounds: int = 3
) -> dict[str, Any]:
    """Time the step for `count` watched accounts on the Firestore and Pub/Sub emulators."""
    from signal_copier.queue.pubsub import PubSubQueue
    from signal_copier.store.firestore import FirestoreStore

    project = f"bench-polls-{uuid.uuid4().hex[:10]}"
    topic = f"http://{found.pubsub}/v1/projects/{project}/topics/{BROKER_EVENTS_TOPIC}"
    async with httpx.AsyncClient() as http:
        (await http.put(topic)).raise_for_status()
        try:
            async with FirestoreStore(project) as store:
                for start in range(0, count, 500):  # 500 writes per commit
                    batch = store.db.batch()
                    for user_id in _users(count)[start : start + 500]:
                        fields = {"user_id": user_id, "since": START, "touched": START}
                        batch.set(store.doc("watches", user_id), fields)
                    await batch.commit()
                queue = PubSubQueue(project, publish_timeout=60)
                try:
                    return await _time_step(store, queue, count, rounds)
                finally:
                    await queue.aclose()
        finally:
            await http.delete(topic)
            found.for_project(project).wipe_firestore()
