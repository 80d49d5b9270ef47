"""What a chat posted after a message, read in pages, equals the stored versions read one by one."""

from __future__ import annotations

import random
from datetime import timedelta
from pathlib import Path

import pytest

from message_history import CHAT, NOW, local_deps, random_chat, store_versions
from signal_copier.services.later import posted_after
from signal_copier.services.recent import MAX_ROWS, read_versions
from signal_copier.store.sqlite import SqliteStore


@pytest.mark.parametrize("seed", range(12))
async def test_paged_messages_after_equal_each_message_read_on_its_own(
    seed: int, tmp_path: Path
) -> None:
    # Arrange: a chat with gaps and messages of many versions (more than a first page), and a
    # neighbouring chat; asked from a message, and from a time
    rng = random.Random(seed)
    store = SqliteStore(":memory:")
    deps = local_deps(store, tmp_path)
    ids = await random_chat(store, rng, 200, 60)
    start = rng.randint(0, 210)
    since = NOW + timedelta(seconds=rng.randint(0, 210))

    # Act
    after = await posted_after(deps, CHAT, start)
    after_since = await posted_after(deps, CHAT, 0, since)

    # Assert: newest first, every version of each message
    expected = [v for m in reversed(ids) if m > start for v in await read_versions(deps, CHAT, m)]
    assert after == expected
    expected = [v for v in await posted_after(deps, CHAT, 0) if (v.posted or v.date) > since]
    assert after_since == expected


async def test_messages_after_read_at_most_max_rows(tmp_path: Path) -> None:
    # Arrange: more messages since than one walk reads
    store = SqliteStore(":memory:")
    deps = local_deps(store, tmp_path)
    for message_id in range(1, MAX_ROWS + 50):
        await store_versions(store, CHAT, message_id, 1)

    # Act
    after = await posted_after(deps, CHAT, 0)

    # Assert: the newest of them, none skipped, no more than MAX_ROWS (each page leaves its
    # last message, which may lack versions, to the next)
    newest = MAX_ROWS + 49
    assert [v.message_id for v in after] == list(range(newest, newest - len(after), -1))
    assert MAX_ROWS - 10 <= len(after) <= MAX_ROWS
