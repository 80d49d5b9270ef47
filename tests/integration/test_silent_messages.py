"""A message that fans out to nobody (chatter) is stored as fanned out in the step that
remembers it; a crash before it wakes what waited for it is redone by its redelivery."""

from __future__ import annotations

from pathlib import Path

import pytest

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.errors import StoreUnavailable
from world import World


async def test_chatter_is_remembered_as_fanned_out_without_a_second_write(
    tmp_path: Path,
) -> None:
    # Arrange
    world = World(tmp_path, wrap_store=Hooked)
    await world.add_user("alice", lot="0.20")
    marks = world.store.calls("mark_fanned_out")

    # Act
    record = await world.pipeline.message(world.post("Good morning", id=1), world.now)

    # Assert: done for every follow-up that waits for it, with one store write
    assert record is not None and record.kind == "none"
    assert record.fanned_out == 0
    assert world.store.calls("mark_fanned_out") == marks
    stored = await world.store.message(record.key)
    assert stored is not None and stored.fanned_out == 0


async def test_a_close_waiting_for_chatter_runs_when_the_chatter_is_redelivered_after_a_crash(
    tmp_path: Path,
) -> None:
    # Arrange: "Close now" (posted after chatter) arrives before the chatter and parks; the
    # chatter is then remembered but its worker fails before waking the close
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=1)
    chatter = world.post("Nice move everyone", id=2)
    close = world.post("Close now", id=3, reply_to=1)
    await world.deliver(signal, close)
    assert await account.positions()  # the close waits for the chatter
    world.store.fail("parked_on", nth=world.store.calls("parked_on") + 1)
    with pytest.raises(StoreUnavailable):
        await world.deliver(chatter)

    # Act: Pub/Sub redelivers the chatter (no sweep runs, no bound passes)
    await world.deliver(chatter)

    # Assert: closed now, not when the close's 120 s bound passes
    assert await account.positions() == []
