"""Attack: crashes, slow workers and lost replies between two steps (hostile review).

A worker "dies" by being cancelled at a broker call (no `except Exception` runs, its claim stays
held until the lease ends); a slow worker outlives its 60 s lease while the sweep hands its intent
to another. Each test proves a fix, except the one still marked xfail(strict): a known limit,
named in its reason (it turns red the moment that limit is lifted).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.errors import StoreUnavailable
from signal_copier.services.pipeline import handle_message
from world import World


async def test_an_edit_that_waited_for_its_original_is_applied_even_if_resuming_it_failed(
    tmp_path: Path,
) -> None:
    # Arrange: the edit overtakes its original and waits; when the original arrives, the store
    # commits the resumed edit but the reply is lost (the original's handler fails)
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20")
    original = world.post(GOLD_BUY, id=1)
    edit = world.post(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)
    await world.deliver(edit)
    resumed = world.store.calls("remember_message") + 2  # the original's, then the edit's
    world.store.fail("remember_message", nth=resumed, after=True)

    # Act: the original's delivery fails, is redelivered, and the sweep runs
    with pytest.raises(StoreUnavailable):
        await world.deliver(original)
    await world.deliver(original)
    await world.settle()

    # Assert: the edited stop is on the trade
    assert {p.sl for p in await account.positions()} == {D("2645.00")}


async def test_a_close_parked_on_its_signal_runs_as_soon_as_the_signal_is_done(
    tmp_path: Path,
) -> None:
    # Arrange: "Close now" arrives while its signal is being opened and parks; the opening's
    # finish commits but its reply is lost, so the intent is redelivered and finds it done
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=1)
    close = world.post("Close now", id=2, reply_to=1)

    async def close_arrives() -> None:  # handled by another worker meanwhile
        await handle_message(close, world.deps, world.now)
        await world.queue.drain()

    finish = world.store.calls("finish") + 1
    world.store.before("finish", close_arrives, nth=finish)
    world.store.fail("finish", nth=finish, after=True)

    # Act
    await world.deliver(signal)

    # Assert: closed now, not when the sweep finds the follow-up's 120 s bound passed
    assert await account.positions() == []


async def test_breakeven_whose_worker_died_is_still_applied_after_its_lease(
    tmp_path: Path,
) -> None:
    # Arrange: a real account's deals are polled by the sweep; TP1 hits, and the worker moving
    # the runner's SL to breakeven dies mid-way
    world = World(tmp_path, wrap=Hooked, wrap_store=Hooked, poll_deals=True)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.50", "2655.80"))
    world.broker.die("modify_position", nth=world.broker.calls("modify_position") + 1)
    with suppress(asyncio.CancelledError):
        await world.settle(61)

    # Act: the next sweep re-publishes the expired claim, which another instance picks up
    # before this sweep polls the deals again (Pub/Sub delivers while the sweep goes on)
    world.store.before("watched", world.queue.drain, nth=world.store.calls("watched") + 1)
    await world.settle(61)
    await world.settle(61)

    # Assert
    assert [p.sl for p in await account.positions()] == [D("2650.30")]


async def test_an_expired_pending_order_is_cancelled_even_if_the_sweep_worker_died(
    tmp_path: Path,
) -> None:
    # Arrange: a limit order expires; the sweep worker cancelling it dies
    world = World(tmp_path, wrap=Hooked, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20", pending_expiry_minutes=5)
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1)
    with suppress(asyncio.CancelledError):
        await world.settle(5 * 60 + 1)

    # Act: the next sweep re-publishes the expired claim, which another instance picks up
    # before this sweep reaches its expiry step (Pub/Sub delivers while the sweep goes on)
    world.store.before("trades_due", world.queue.drain, nth=world.store.calls("trades_due") + 1)
    await world.settle(61)

    # Assert: the stale order cannot fill any more
    assert await account.orders() == []


async def test_an_opening_slower_than_its_lease_is_never_placed_twice(tmp_path: Path) -> None:
    # Arrange: the broker takes over a minute before leg 1; the lease ends and the sweep hands
    # the intent to another worker, which adopts leg 0 and places leg 1
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def lease_ends() -> None:
        await world.pipeline.sweep(world.later(61), force=True)

    world.broker.before("place", lease_ends, nth=2)

    # Act
    await world.say(GOLD_BUY, id=1)

    # Assert: one position per TP, not three
    assert len(await account.positions()) == 2


async def test_a_leg_is_not_sent_once_the_lease_ends_too_soon_even_right_after_the_last_one(
    tmp_path: Path,
) -> None:
    # Arrange: while leg 0 is on its way, the clock moves to 45 s into the 60 s lease, too late
    # for leg 1 to land within it (the store still names this worker the owner)
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def late() -> None:
        world.pipeline.now += timedelta(seconds=45)

    world.broker.before("place", late, nth=1)

    # Act
    await world.say(GOLD_BUY, id=1)

    # Assert: leg 1 waited for a new attempt, which adopted leg 0 and placed it once
    assert world.queue.redelivered == 1 and world.broker.calls("place") == 2
    assert len(await account.positions()) == 2


@pytest.mark.xfail(
    strict=True,
    reason=(
        "residual risk (README): a close the broker executes after its call outlived the lease "
        "cannot be fenced or undone; every write starts only while the claim is held and early "
        "enough to land within the lease"
    ),
)
async def test_a_close_half_slower_than_its_lease_closes_half_once(tmp_path: Path) -> None:
    # Arrange: an open trade of 0.40; "close half" stalls over a minute at its first close
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)

    async def lease_ends() -> None:
        await world.pipeline.sweep(world.later(61), force=True)

    world.broker.before("close_position", lease_ends, nth=world.broker.calls("close_position") + 1)

    # Act
    await world.say("Close half", id=2, reply_to=1)

    # Assert
    assert sum(p.volume for p in await account.positions()) == D("0.20")
