"""A side-first signal refused for want of a stop opens, once, when its levels arrive.

With the default `no_sl: skip`, "XAUUSD BUY NOW @ 2650" is not copied (`no_sl`); the levels-only
message after it ("SL 2640 TP1 2660 TP2 2670") opens the completed signal through every opening
guard — once per user, whatever the delivery order and count, and once even when the channel
also edits the post to add the stop.
"""

import asyncio
import itertools
from contextlib import suppress
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from hooks import Hooked
from signal_copier.core import ids
from signal_copier.core.model import RawMessage, Status
from signal_copier.services import control
from signal_copier.services.late_opening import OPENED
from signal_copier.services.pipeline import handle_message
from world import World
from wrappers import Yielding

SIDE_FIRST = "XAUUSD BUY NOW @ 2650"
LEVELS = "SL 2640 TP1 2660 TP2 2670"
COMPLETE = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2660\nTP2 2670"
OPENED_LEGS = [(D("2640.00"), D("2660.00"), D("0.05")), (D("2640.00"), D("2670.00"), D("0.05"))]


async def _legs(account: object) -> list[tuple[D | None, D | None, D]]:
    positions = await account.positions()  # type: ignore[attr-defined]
    return sorted((p.sl, p.tp, p.volume) for p in positions)


async def _placed(world: World, user: str = "alice") -> list[str]:
    records = await world.records(user)
    return [r.intent.id for r in records if r.result.status is Status.PLACED]


def _late_id(user: str = "alice", message_id: int = 1) -> str:
    return ids.intent_id("c1", message_id, ids.LATE_OPENING_VERSION, user)


async def test_levels_replying_to_a_signal_refused_for_no_stop_open_it_complete(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    assert (await world.last("alice")).result.reason == "no_sl"

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert: one leg per target, each with the stop; the signal's own record still says no_sl
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]
    by_message = {r.intent.message_id: r.result for r in await world.records("alice")}
    assert by_message[2].status is Status.APPLIED
    assert OPENED in by_message[2].detail
    own = ids.intent_id("c1", 1, 0, "alice")
    assert [r.result.reason for r in await world.records("alice") if r.intent.id == own] == [
        "no_sl"
    ]


async def test_levels_posted_next_open_the_channels_latest_signal(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say(LEVELS, id=2)

    # Assert
    assert await _legs(account) == OPENED_LEGS


async def test_levels_arriving_before_their_signal_wait_for_it_then_open_it(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2)

    # Act
    await world.deliver(levels, signal)

    # Assert
    assert await _legs(account) == OPENED_LEGS


async def test_levels_and_signal_delivered_many_times_in_any_order_open_once(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2, reply_to=1)

    # Act
    await world.deliver(levels, signal, levels, signal, levels)
    await world.settle()

    # Assert
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]


def _race(world: World) -> tuple[RawMessage, RawMessage, RawMessage]:
    # The signal, its levels a moment later, then the channel edits the post to add them too.
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2, reply_to=1)
    edit = replace(world.post(COMPLETE, id=1, edited=True), date=signal.date)
    return signal, levels, edit


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
async def test_levels_and_an_edit_adding_the_stop_open_the_signal_once_in_any_order(
    world: World, order: tuple[int, int, int]
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    messages = _race(world)

    # Act: each delivered in this order, then all of them again
    await world.deliver(*(messages[i] for i in order), *messages)
    await world.settle()

    # Assert: one trade, under the one late-opening intent
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]


async def test_levels_and_an_edit_handled_at_the_same_time_open_the_signal_once(
    tmp_path: Path,
) -> None:
    # Arrange: every store and broker call yields, so the two late openings interleave
    world = World(tmp_path, wrap=Yielding, wrap_store=Yielding, concurrency=4)
    account = await world.add_user("alice", lot="0.10")
    signal, levels, edit = _race(world)
    await world.deliver(signal)

    # Act
    await asyncio.gather(
        handle_message(levels, world.deps, world.now), handle_message(edit, world.deps, world.now)
    )
    await world.queue.drain()
    await world.settle()

    # Assert
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]


def _handled_while_placing(world: World, other: RawMessage) -> None:
    # `other` is handled by another worker while the next order is being sent.
    async def meanwhile() -> None:
        await handle_message(other, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", meanwhile, nth=world.broker.calls("place") + 1)


@pytest.mark.parametrize("first", ["levels", "edit"])
async def test_one_route_arriving_while_the_other_places_the_signal_never_opens_it_again(
    tmp_path: Path, first: str
) -> None:
    # Arrange: one late opening is sending its first leg when the other route is handled
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    signal, levels, edit = _race(world)
    await world.deliver(signal)
    running, other = (levels, edit) if first == "levels" else (edit, levels)
    _handled_while_placing(world, other)

    # Act
    await world.deliver(running)
    await world.deliver(other)  # redelivered: the first attempt found the opening in flight
    await world.settle()

    # Assert
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]
    assert not [r for r in await world.records("alice") if r.result.status is Status.FAILED]


@pytest.mark.parametrize("after", [False, True], ids=["before-place", "after-place"])
async def test_a_worker_dying_while_opening_late_leaves_one_trade_after_its_lease(
    tmp_path: Path, after: bool
) -> None:
    # Arrange: the worker opening the completed signal dies at its second leg
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    signal, levels, edit = _race(world)
    await world.deliver(signal)
    world.broker.die("place", nth=world.broker.calls("place") + 2, after=after)
    with suppress(asyncio.CancelledError):
        await world.deliver(levels)

    # Act: the sweep hands the expired claims to other workers; the edit comes too
    await world.settle(61)
    await world.queue.drain()
    await world.deliver(edit, levels)
    await world.settle(61)

    # Assert
    assert await _legs(account) == OPENED_LEGS
    assert await _placed(world) == [_late_id()]


async def test_an_edit_adding_the_stop_first_leaves_the_levels_to_complete_its_trade(
    world: World,
) -> None:
    # Arrange: the channel edits the stop in first (a wider stop than the levels' later)
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    await world.deliver(signal)
    edit = replace(world.post(COMPLETE, id=1, edited=True), date=signal.date)
    await world.deliver(edit)

    # Act
    await world.say(LEVELS.replace("SL 2640", "SL 2645"), id=2, reply_to=1)

    # Assert: the edit opened it; the levels tightened its stop, opening nothing more
    assert {p.sl for p in await account.positions()} == {D("2645.00")}
    assert sum(p.volume for p in await account.positions()) == D("0.10")
    assert (await world.last("alice")).result.status is Status.APPLIED


async def test_levels_after_the_window_do_not_open_the_signal(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    world.later(600)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    assert (await world.last("alice")).result.reason == "levels_too_late"


async def test_the_signals_age_counts_from_its_levels(world: World) -> None:
    # Arrange: levels 200 s after the signal, within a 300 s window; signals live 120 s
    account = await world.add_user("alice", lot="0.10", max_signal_age_s=120)
    await world.say(SIDE_FIRST, id=1)
    world.later(200)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert: born complete with its levels, it is young enough
    assert await _legs(account) == OPENED_LEGS


async def test_a_stop_on_the_wrong_side_of_the_signal_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say("SL 2660 TP1 2670", id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    assert (await world.last("alice")).result.reason == "sl_wrong_side"


async def test_targets_without_a_stop_open_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say("TP1 2660 TP2 2670", id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.reason, "no stop" in result.detail) == ("no_sl", True)


async def test_levels_of_a_signal_the_channel_closed_since_open_nothing(world: World) -> None:
    # Arrange: the channel calls the signal off before its levels come
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    close = world.post("Close now", id=2, reply_to=1)
    levels = world.post(LEVELS, id=3, reply_to=1)

    # Act: whichever order they arrive in
    await world.deliver(levels, close, signal)
    await world.settle()

    # Assert
    assert await account.positions() == []
    assert await _placed(world) == []


async def test_levels_of_a_deleted_signal_open_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    await world.delete(id=1)

    # Act
    await world.say(LEVELS, id=2)

    # Assert
    assert await account.positions() == []
    assert await _placed(world) == []


async def test_levels_after_the_kill_switch_never_open_the_signal(world: World) -> None:
    # Arrange: the kill switch is pressed (and released) between the signal and its levels
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    await control.kill_switch(world.deps, "alice", world.later(2), retry_delays=())
    await control.resume(world.deps, "alice")

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    assert (await world.last("alice")).result.reason == "kill_switch"


async def test_users_with_a_default_stop_keep_their_trade_completed_not_doubled(
    world: World,
) -> None:
    # Arrange: bob copies stopless signals with a default stop; alice skips them
    alice = await world.add_user("alice", lot="0.10")
    bob = await world.add_user(
        "bob", lot="0.10", no_sl="default_sl", default_sl_pips="40", allow_looser_sl=True
    )
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert: bob's one opened position takes the levels; alice's late opening has both legs
    assert await _legs(bob) == [(D("2640.00"), D("2660.00"), D("0.10"))]
    assert await _legs(alice) == OPENED_LEGS
    assert await _placed(world, "bob") == [ids.intent_id("c1", 1, 0, "bob")]


async def test_a_stopped_user_gets_no_late_opening_and_a_later_edit_does_not_retry_it(
    world: World,
) -> None:
    # Arrange: alice stops copying between the signal and its levels
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    await world.deliver(signal)
    await control.set_active(world.deps, "alice", False)
    await world.say(LEVELS, id=2, reply_to=1)
    refused = (await world.last("alice")).result
    await control.set_active(world.deps, "alice", True)

    # Act: the channel then edits the stop into the post
    await world.deliver(replace(world.post(COMPLETE, id=1, edited=True), date=signal.date))

    # Assert: the late opening was decided once (refused): the edit says so, opens nothing
    assert refused.status is Status.SKIPPED and refused.reason != "no_position"
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.reason, "already decided" in result.detail) == (refused.reason, True)


async def test_levels_of_a_signal_edited_into_a_cancel_open_nothing(world: World) -> None:
    # Arrange: the channel edits its post into "Cancelled" before the levels come
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    cancel = replace(world.post("Cancelled", id=1, edited=True), date=signal.date)
    levels = world.post(LEVELS, id=2, reply_to=1)

    # Act: whichever order they arrive in
    await world.deliver(levels, cancel, signal)
    await world.settle()

    # Assert
    assert await account.positions() == []
    assert await _placed(world) == []


async def test_levels_after_a_post_of_two_stopless_signals_open_neither(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650\n\nEURUSD SELL NOW @ 1.0850", id=1)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.reason, "several signals" in result.detail) == ("no_position", True)


@pytest.mark.parametrize("first", ["levels", "edit"])
async def test_an_edit_giving_the_stop_in_pips_shares_the_one_late_opening(
    tmp_path: Path, first: str
) -> None:
    # Arrange: the edit writes its stop as a distance ("SL 100 pips"), handled while the
    # levels' late opening is placing (or the other way round)
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2, reply_to=1)
    pips = COMPLETE.replace("SL 2640", "SL 100 pips")
    edit = replace(world.post(pips, id=1, edited=True), date=signal.date)
    await world.deliver(signal)
    running, other = (levels, edit) if first == "levels" else (edit, levels)
    _handled_while_placing(world, other)

    # Act
    await world.deliver(running)
    await world.deliver(other)
    await world.settle()

    # Assert: one trade of 0.10 lots, under the one late-opening intent
    assert sum(p.volume for p in await account.positions()) == D("0.10")
    assert await _placed(world) == [_late_id()]


@pytest.mark.parametrize(
    ("taken_back", "setting", "left"),
    [("deletion", "close", 0), ("close", "cancel_pending", 0), ("deletion", "cancel_pending", 2)],
)
async def test_the_signal_taken_back_while_its_late_opening_is_recorded_ends_as_in_order(
    tmp_path: Path, taken_back: str, setting: str, left: int
) -> None:
    # Arrange: the channel deletes the signal (or closes it) and that is handled by another
    # worker just before the late opening's record is stored, so it finds nothing to take back;
    # handled after the record, a deletion keeps a filled position unless the user closes them
    world = World(tmp_path, wrap_store=Hooked)
    account = await world.add_user("alice", lot="0.10", on_signal_deleted=setting)
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2, reply_to=1)
    other = world.deletion(id=1) if taken_back == "deletion" else world.post("Close now", id=3)
    await world.deliver(signal)

    async def meanwhile() -> None:
        await handle_message(other, world.deps, world.now)
        await world.queue.drain()

    world.store.before("finish", meanwhile, nth=world.store.calls("finish") + 1)

    # Act
    await world.deliver(levels)
    await world.settle()

    # Assert
    assert len(await account.positions()) == left
