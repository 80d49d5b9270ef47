"""Stored message versions for tests of the readers that walk a chat's history."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.records import MessageRecord
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.deps import Deps
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.local import LocalVault

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
CHAT = "-100123"


def local_deps(store: SqliteStore, folder: Path) -> Deps:
    """Return the local deployment's parts around `store`."""
    vault = LocalVault(folder / "key", folder / "secrets")
    return Deps(store=store, queue=InProcessQueue(), vault=vault, broker=PaperBroker())


async def store_versions(store: SqliteStore, chat: str, message_id: int, versions: int) -> None:
    """Store `versions` versions of a message, posted in id order a second apart."""
    for version in range(versions):
        record = MessageRecord(
            key=f"{chat}:{message_id}:{version}",
            chat_id=chat,
            message_id=message_id,
            version=version,
            date=NOW + timedelta(seconds=message_id),
            kind="none",
        )
        await store.remember_message(chat, message_id, version, lambda _h, r=record: r)


async def random_chat(
    store: SqliteStore, rng: random.Random, ids_below: int, most: int
) -> list[int]:
    """Store a chat with gaps and messages of many versions, and a neighbour; return its ids."""
    ids = sorted(rng.sample(range(1, ids_below), rng.randint(0, most)))
    for message_id in ids:
        await store_versions(store, CHAT, message_id, rng.choice((1, 1, 1, 2, 3, 20)))
        await store_versions(store, "-100999", message_id, 1)
    return ids
