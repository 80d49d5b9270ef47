"""A follow-up that widens a risk-sized trade's stop keeps the risk the trade was sized for.

"XAUUSD BUY NOW @ 2650" opens at the user's default stop (40 pips = 4.0); the channel's levels
a moment later may put the stop much further away. Sized for 1 % of 10,000 (0.25 lots over 4.0)
the trade is cut to what the wider stop may risk, as an edit adding the same levels cuts it.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from decimal import Decimal as D
from pathlib import Path

import pytest

from hooks import Hooked
from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import ChangeKind, Status
from world import World

PROTECTED = {"lot": "0.10", "no_sl": "default_sl", "default_sl_pips": "40", "allow_looser_sl": True}
RISK_SIZED = {**PROTECTED, "risk_mode": "risk_percent", "risk_percent": "1"}
CONTRACT = D("100")  # XAUUSD: 100 oz a lot


async def _legs(account: PaperAccount) -> list[tuple[D | None, D | None, D]]:
    return sorted((p.sl, p.tp, p.volume) for p in await account.positions())


def _at_risk(entry: D, sl: D | None, volume: D) -> D:
    assert sl is not None
    return (entry - sl) * volume * CONTRACT


async def test_levels_that_tighten_a_risk_sized_stop_cut_nothing(world: World) -> None:
    # Arrange: 0.25 lots sized for the default stop, 4.0 under the fill at 2650.30
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)

    # Act: the channel's stop is nearer than the default
    await world.say("SL 2648 TP1 2670", id=2, reply_to=1)

    # Assert
    assert await _legs(account) == [(D("2648.00"), D("2670.00"), D("0.25"))]


async def test_a_stop_set_by_move_sl_on_a_risk_sized_trade_cuts_it_as_levels_do(
    world: World,
) -> None:
    # Arrange: a signal with its own stop, sized for it (4.3 away: 0.23 lots)
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2646\nTP 2670", id=1)

    # Act
    await world.say("Move SL to 2630", id=2, reply_to=1)

    # Assert: the stop moved and no more than 1 % is at risk
    [(sl, tp, volume)] = await _legs(account)
    assert (sl, tp) == (D("2630.00"), D("2670.00"))
    assert _at_risk(D("2650.30"), sl, volume) <= D("100")
    assert volume == D("0.04")
    assert any("cut from 0.23 to 0.04" in note for note in (await world.last("alice")).result.notes)


async def test_a_risk_sized_pending_order_widened_by_levels_is_placed_again_smaller(
    world: World,
) -> None:
    # Arrange: a buy limit at 2640, sized for its default stop 4.0 under it: 0.25 lots
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY LIMIT 2640", id=1)
    [before] = await account.orders()

    # Act: the stop 20 under the entry
    await world.say("SL 2620 TP1 2660", id=2, reply_to=1)

    # Assert: the same leg waits, smaller, with the channel's levels
    [order] = await account.orders()
    assert before.volume == D("0.25")
    assert (order.client_id, order.price, order.sl, order.tp, order.volume) == (
        before.client_id,
        D("2640.00"),
        D("2620.00"),
        D("2660.00"),
        D("0.05"),
    )
    assert await account.positions() == []


async def test_a_trade_in_profit_is_cut_for_the_risk_from_its_entry(world: World) -> None:
    # Arrange: the trade has run 20 in profit before the levels arrive
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    await world.prices(XAUUSD=("2670.00", "2670.30"))

    # Act
    await world.say("SL 2630 TP1 2690", id=2, reply_to=1)

    # Assert: the money at risk is counted from the entry, as it was sized
    [(sl, tp, volume)] = await _legs(account)
    assert (sl, tp, volume) == (D("2630.00"), D("2690.00"), D("0.04"))


async def test_a_leg_that_even_at_the_minimum_would_risk_too_much_is_closed(world: World) -> None:
    # Arrange: 0.1 % of 10,000 over the default 4.0: 0.02 lots
    account = await world.add_user("alice", **{**RISK_SIZED, "risk_percent": "0.1"})
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    [(_, _, opened)] = await _legs(account)

    # Act: 0.01 lot (the minimum) over 20.3 would risk 20.3: twice what was sized
    await world.say("SL 2630 TP1 2670", id=2, reply_to=1)

    # Assert
    assert opened == D("0.02")
    assert await _legs(account) == []
    result = (await world.last("alice")).result
    assert result.status is Status.APPLIED
    assert any("even at the minimum volume" in note for note in result.notes)


async def test_each_leg_of_a_risk_sized_signal_is_cut_to_its_share(world: World) -> None:
    # Arrange: two targets, two legs sized together for the default stop
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650 TP1 2660 TP2 2670", id=1)
    opened = await _legs(account)

    # Act
    await world.say("SL 2630", id=2, reply_to=1)

    # Assert: every leg carries the stop, and together they risk at most 1 %
    legs = await _legs(account)
    assert sum(volume for _, _, volume in opened) == D("0.25")
    assert [(sl, tp) for sl, tp, _ in legs] == [
        (D("2630.00"), D("2660.00")),
        (D("2630.00"), D("2670.00")),
    ]
    assert sum(_at_risk(D("2650.30"), sl, volume) for sl, _, volume in legs) <= D("100")
    assert all(volume >= D("0.01") for _, _, volume in legs)


async def test_two_users_with_different_risk_modes_each_keep_their_own_sizing(
    world: World,
) -> None:
    # Arrange: alice sizes by risk, bob trades a fixed lot
    alice = await world.add_user("alice", **RISK_SIZED)
    bob = await world.add_user("bob", **PROTECTED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)

    # Act
    await world.say("SL 2630 TP1 2670", id=2, reply_to=1)

    # Assert: alice is cut to 1 %, bob's fixed lot takes the stop as it is
    assert await _legs(alice) == [(D("2630.00"), D("2670.00"), D("0.04"))]
    assert await _legs(bob) == [(D("2630.00"), D("2670.00"), D("0.10"))]


async def test_levels_posted_next_and_delivered_twice_cut_a_risk_sized_trade_once(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", **RISK_SIZED)
    signal = world.post("XAUUSD BUY NOW @ 2650", id=1)
    levels = world.post("SL 2630 TP1 2670", id=2)

    # Act: the levels first, then both again
    await world.deliver(levels, signal, levels, signal)
    await world.settle()

    # Assert
    assert await _legs(account) == [(D("2630.00"), D("2670.00"), D("0.04"))]


async def test_close_half_with_a_wider_stop_keeps_a_risk_sized_stop_where_it_was(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)

    # Act: its closes leave a volume not known before they run
    await world.say("Close half and move SL to 2630", id=2, reply_to=1)

    # Assert: half closed, the default stop kept, and why
    [(sl, _, volume)] = await _legs(account)
    assert (sl, volume) == (D("2646.30"), D("0.13"))
    notes = (await world.last("alice")).result.notes
    assert any("its stop was kept at 2646.30" in note for note in notes)


@pytest.mark.parametrize(
    ("method", "after"),
    [("cancel_order", True), ("place", False), ("place", True)],
    ids=["after-cancel", "before-place", "after-place"],
)
async def test_a_worker_dying_as_levels_resize_a_pending_order_leaves_it_once_smaller(
    tmp_path: Path, method: str, after: bool
) -> None:
    # Arrange: the levels widen a 1 %-risk limit's default stop; the worker dies at one step
    # of placing it again smaller
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY LIMIT 2640", id=1)
    world.later(10)
    world.broker.die(method, nth=world.broker.calls(method) + 1, after=after)
    with suppress(asyncio.CancelledError):
        await world.say("SL 2620 TP1 2660", id=2, reply_to=1)

    # Act: the claim's lease ends and the sweep hands the levels to another worker
    await world.settle(61)
    await world.queue.drain()

    # Assert: the leg waits once, at the volume its 1 % risk allows with the wider stop
    orders = await account.orders()
    assert [(o.volume, o.sl, o.tp) for o in orders] == [(D("0.05"), D("2620.00"), D("2660.00"))]
    assert await account.positions() == []


@pytest.mark.parametrize("method", ["close_position", "modify_position"])
async def test_a_worker_dying_between_the_cut_and_the_wider_stop_cuts_once(
    tmp_path: Path, method: str
) -> None:
    # Arrange: the worker dies right after the cut, or right after the stop moved
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    world.later(10)
    world.broker.die(method, nth=world.broker.calls(method) + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("SL 2630 TP1 2670", id=2, reply_to=1)

    # Act
    await world.settle(61)
    await world.queue.drain()

    # Assert: cut once to 1 % at the channel's stop
    assert await _legs(account) == [(D("2630.00"), D("2670.00"), D("0.04"))]


async def test_a_risk_sized_close_half_retried_after_its_close_records_it_and_moves_the_stop(
    tmp_path: Path,
) -> None:
    # Arrange: the worker dies right after closing half; only the stop is left to move
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", **RISK_SIZED)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2646\nTP 2670", id=1)
    world.later(10)
    world.broker.die("close_position", nth=world.broker.calls("close_position") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say("Close half and move SL to 2648", id=2, reply_to=1)

    # Act
    await world.settle(61)
    await world.queue.drain()

    # Assert: half closed once, the stop moved, and the record says both
    assert await _legs(account) == [(D("2648.00"), D("2670.00"), D("0.12"))]
    result = (await world.last("alice")).result
    assert [change.kind for change in result.changes] == [
        ChangeKind.PARTIAL_CLOSE,
        ChangeKind.SL,
    ]
