"""What a retry records after a worker died past the broker's act: the crash sweep's findings.

Each scenario kills or fails one call after it took effect (tests/hooks.py), recovers as
production does (the lease runs out, the sweep republishes, Pub/Sub redelivers) and checks the
trade record says what was done — never "nothing to change" or "no position" after a close, a
move or a cancel whose reply was lost. Found by tests/integration/test_crash12.py's sweep.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import suppress
from decimal import Decimal as D
from pathlib import Path

import pytest

from crash_scenarios import BUY_LIMIT, GOLD_BUY, SELL_LIMIT, SL_EDIT, TP_EDIT
from hooks import Hooked
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.model import IntentKind, Status
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.services import control
from world import World


async def _record(world: World, message_id: int, *, edit: bool = False) -> TradeRecord:
    (record,) = [
        r
        for r in await world.records("alice")
        if r.intent.message_id == message_id and bool(r.intent.version) is edit
    ]
    return record


async def _recover(world: World) -> None:
    # The dead worker's claim runs out; the sweep re-publishes it and Pub/Sub redelivers.
    await world.settle(61)
    await world.queue.drain()


async def test_close_all_whose_worker_died_after_its_last_close_records_the_closes(
    tmp_path: Path,
) -> None:
    # Arrange: two legs open; the worker closing them dies right after the second close
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    world.broker.die("close_position", nth=world.broker.calls("close_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("Close all", id=2, reply_to=1)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 2)
    assert await account.positions() == []
    assert (record.result.status, record.result.reason) == (Status.APPLIED, Reason.NONE)
    assert len(record.result.changes) == 2


async def test_move_sl_to_entry_whose_worker_died_after_moving_every_stop_records_the_moves(
    tmp_path: Path,
) -> None:
    # Arrange: two legs in profit; the worker moving their stops dies after the second move
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2652.00", "2652.30"))
    world.broker.die("modify_position", nth=world.broker.calls("modify_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("Move SL to entry", id=2, reply_to=1)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 2)
    assert {p.sl for p in await account.positions()} == {D("2650.30")}
    assert (record.result.status, record.result.reason) == (Status.APPLIED, Reason.NONE)
    assert len(record.result.changes) == 2


async def test_an_sl_edit_whose_worker_died_after_moving_every_stop_records_the_moves(
    tmp_path: Path,
) -> None:
    # Arrange: two legs open; the worker carrying the edited stop dies after the second move
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    world.broker.die("modify_position", nth=world.broker.calls("modify_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 1, edit=True)
    assert {p.sl for p in await account.positions()} == {D("2645.00")}
    assert (record.result.status, record.result.reason) == (Status.APPLIED, Reason.NONE)


async def test_an_older_tp_edit_delivered_late_keeps_a_tp_move_retried_after_a_timeout(
    tmp_path: Path,
) -> None:
    # Arrange: the channel edits the signal's targets, then posts "Move TP to 2670"; the move's
    # first modify times out after it took effect, and the edit is delivered after the retry
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    edit = world.post(TP_EDIT, id=1, edited=True)
    move = world.post("Move TP to 2670", id=2, reply_to=1)
    timeout = BrokerUnavailable("modify timed out (injected)")
    nth = world.broker.calls("modify_position") + 1
    world.broker.fail("modify_position", nth=nth, after=True, error=timeout)

    # Act
    await world.deliver(move, edit)
    await world.settle()

    # Assert: in the order posted, the move came last
    assert sorted(p.tp for p in await account.positions()) == [D("2670.00"), D("2670.00")]


async def test_an_older_tp_edit_delivered_late_keeps_a_tp_move_whose_worker_died_after_it(
    tmp_path: Path,
) -> None:
    # Arrange: the channel edits the signal's targets, then posts "Move TP to 2670"; the move's
    # worker dies after moving both targets, and the edit is delivered late
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    edit = world.post(TP_EDIT, id=1, edited=True)
    move = world.post("Move TP to 2670", id=2, reply_to=1)
    world.broker.die("modify_position", nth=world.broker.calls("modify_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.deliver(move)

    # Act
    await _recover(world)
    await world.deliver(edit)
    await world.settle()

    # Assert
    assert sorted(p.tp for p in await account.positions()) == [D("2670.00"), D("2670.00")]


async def test_breakeven_whose_worker_died_after_moving_the_stop_is_recorded(
    tmp_path: Path,
) -> None:
    # Arrange: TP1 hits; the worker moving the runner's stop to breakeven dies after the move
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    world.broker.die("modify_position", nth=world.broker.calls("modify_position") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.prices(XAUUSD=("2655.50", "2655.80"))

    # Act
    await _recover(world)

    # Assert
    managed = [r for r in await world.records("alice") if r.intent.kind is IntentKind.MANAGE]
    assert [p.sl for p in await account.positions()] == [D("2650.30")]
    assert [(r.result.status, len(r.result.changes)) for r in managed] == [(Status.APPLIED, 1)]


async def _cancel_by_reply(world: World) -> None:
    await world.say("Cancel the limit order", id=2, reply_to=1)


async def _side_flip(world: World) -> None:
    await world.say(SELL_LIMIT, id=1, edited=True)


async def _deletion(world: World) -> None:
    await world.delete(id=1)


@pytest.mark.parametrize(
    ("take_back", "message", "reason"),
    [
        (_cancel_by_reply, 2, Reason.NONE),
        (_side_flip, 1, Reason.SIGNAL_CHANGED),
        (_deletion, 1, Reason.SIGNAL_DELETED),
    ],
    ids=["cancel-reply", "side-flip", "deletion"],
)
async def test_a_take_back_whose_worker_died_after_cancelling_the_order_records_the_cancel(
    tmp_path: Path,
    take_back: Callable[[World], Awaitable[None]],
    message: int,
    reason: Reason,
) -> None:
    # Arrange: a buy limit waits; the worker cancelling it (for a reply "cancel", the post
    # turned into a sell, or its deletion) dies right after the cancel
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(BUY_LIMIT, id=1)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await take_back(world)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, message, edit=message == 1)
    assert await account.orders() == []
    assert (record.result.status, record.result.reason) == (Status.APPLIED, reason)


# Before its fix: the retry found the edit's levels stored on the trade and set, and recorded
# "nothing_to_change" while the edit had moved both stops.
async def test_an_sl_edit_whose_worker_died_after_recording_the_new_levels_records_the_moves(
    tmp_path: Path,
) -> None:
    # Arrange: two legs open; the worker carrying the edited stop moves both stops, stores the
    # trade's new levels, and dies before recording its result
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    world.store.die("update_trade", nth=world.store.calls("update_trade") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(SL_EDIT, id=1, edited=True)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 1, edit=True)
    assert {p.sl for p in await account.positions()} == {D("2645.00")}
    assert (record.result.status, record.result.reason) == (Status.APPLIED, Reason.NONE)


async def test_levels_whose_worker_died_after_the_late_opening_record_that_they_opened_it(
    tmp_path: Path,
) -> None:
    # Arrange: a side-first signal is refused for want of a stop; its levels open it late, and
    # the worker dies right after the late opening is recorded
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    world.store.die("finish", nth=world.store.calls("finish") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("SL 2640 TP1 2660 TP2 2670", id=2, reply_to=1)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 2)
    assert len(await account.positions()) == 2
    assert (record.result.status, record.result.reason) == (Status.APPLIED, Reason.NONE)


async def test_a_follow_up_retried_after_the_kill_switch_closed_its_trade_says_no_position(
    tmp_path: Path,
) -> None:
    # Arrange: the trader presses the kill switch; the worker of the next "Close half" dies
    # right after claiming it
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await control.kill_switch(world.pipeline.deps, "alice", world.now, retry_delays=())
    world.store.die("claim", nth=world.store.calls("claim") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("Close half", id=2, reply_to=1)

    # Act
    await _recover(world)

    # Assert
    record = await _record(world, 2)
    assert await account.positions() == []
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, Reason.NO_POSITION)
