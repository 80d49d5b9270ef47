"""A walk back reads the chat's recent messages in pages and answers exactly as reads one by one."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from message_history import CHAT, local_deps, random_chat, store_versions
from signal_copier.core.records import MessageRecord
from signal_copier.services.recent import MAX_ROWS, RecentMessages, read_versions
from signal_copier.store.sqlite import SqliteStore


class Counting(SqliteStore):
    """The SQLite store, counting the reads a walk makes."""

    reads = 0

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        self.reads += 1
        return await super().latest_message(chat_id, message_id, before)

    async def messages_up_to(self, chat_id: str, last: int, limit: int) -> list[MessageRecord]:
        self.reads += 1
        return await super().messages_up_to(chat_id, last, limit)


@pytest.mark.parametrize("seed", range(12))
async def test_paged_answers_equal_reading_each_message_on_its_own(
    seed: int, tmp_path: Path
) -> None:
    # Arrange: a chat with gaps, messages of many versions (more than a first page), a
    # neighbouring chat, and a walk that asks in any order, for ids stored or not
    rng = random.Random(seed)
    store = Counting(":memory:")
    deps = local_deps(store, tmp_path)
    ids = await random_chat(store, rng, 400, 120)
    last = rng.choice([*ids, 399]) if ids else 399
    asked = [rng.randint(0, 420) for _ in range(40)]

    # Act
    recent = RecentMessages(deps, CHAT, last)
    paged = [await recent.versions(message_id) for message_id in asked]

    # Assert
    assert paged == [await read_versions(deps, CHAT, message_id) for message_id in asked]


async def test_a_walk_through_150_messages_costs_a_handful_of_reads(tmp_path: Path) -> None:
    # Arrange
    store = Counting(":memory:")
    deps = local_deps(store, tmp_path)
    for message_id in range(1, 152):
        await store_versions(store, CHAT, message_id, 1)

    # Act: walk back from the newest, one message at a time
    recent = RecentMessages(deps, CHAT, 151)
    found = [await recent.versions(message_id) for message_id in range(150, 0, -1)]

    # Assert: pages of 8, 16, 32, 64 and 128 rows, not a read per message
    assert all(len(versions) == 1 for versions in found)
    assert store.reads == 5


async def test_a_message_stored_after_the_pages_were_read_is_still_found(tmp_path: Path) -> None:
    # Arrange: the pages say message 5 is not there; then it arrives
    store = Counting(":memory:")
    deps = local_deps(store, tmp_path)
    await store_versions(store, CHAT, 9, 1)
    recent = RecentMessages(deps, CHAT, 9)
    assert await recent.versions(5) == []

    # Act
    await store_versions(store, CHAT, 5, 2)

    # Assert: an absent message is always read again (a walk never trusts an old "absent")
    assert [v.version for v in await recent.versions(5)] == [1, 0]


async def test_pages_stop_at_their_bound_and_older_messages_are_read_one_by_one(
    tmp_path: Path,
) -> None:
    # Arrange: more messages than the pages may read
    store = Counting(":memory:")
    deps = local_deps(store, tmp_path)
    await asyncio.gather(*(store_versions(store, CHAT, m, 1) for m in range(1, MAX_ROWS + 50)))
    recent = RecentMessages(deps, CHAT, MAX_ROWS + 49)

    # Act
    oldest = await recent.versions(1)

    # Assert
    assert len(oldest) == 1
    assert oldest == await read_versions(deps, CHAT, 1)
