"""A follow-up posted before its signal's edit never undoes that edit, whatever arrives first.

The channel posts a signal, then levels or a "move SL" for it, then edits the signal to other
levels: in the order posted the edit came last. Every delivery order must end as that order.
"""

from __future__ import annotations

from decimal import Decimal as D
from itertools import permutations

import pytest

from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import RawMessage
from world import World

PROTECTED = {"lot": "0.10", "no_sl": "default_sl", "default_sl_pips": "40", "allow_looser_sl": True}
TIGHT_ONLY = {**PROTECTED, "allow_looser_sl": False}
ORDERS = list(permutations(range(3)))


async def _levels(account: PaperAccount) -> list[tuple[D | None, D | None]]:
    return sorted((p.sl, p.tp) for p in await account.positions())


async def _run(world: World, posted: list[RawMessage], order: tuple[int, ...]) -> None:
    await world.deliver(*(posted[i] for i in order))
    await world.settle()


@pytest.mark.parametrize("order", ORDERS, ids=str)
async def test_levels_posted_next_then_an_edit_of_the_signal_end_as_posted_in_any_order(
    world: World, order: tuple[int, ...]
) -> None:
    # Arrange: a side-first signal, its levels, then the signal edited to corrected levels
    account = await world.add_user("alice", **PROTECTED)
    posted = [
        world.post("XAUUSD BUY NOW @ 2650", id=1),
        world.post("SL 2640 TP1 2660", id=2),
        world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True),
    ]

    # Act
    await _run(world, posted, order)

    # Assert
    assert await _levels(account) == [(D("2645.00"), D("2655.00"))]


@pytest.mark.parametrize("order", ORDERS, ids=str)
async def test_a_signal_refused_for_no_stop_opened_late_ends_with_its_edits_levels(
    world: World, order: tuple[int, ...]
) -> None:
    # Arrange: no_sl: skip refuses the side-first signal; its levels or the edit adding the
    # stop open it late (one opening, whichever comes first)
    account = await world.add_user("alice", lot="0.10")
    posted = [
        world.post("XAUUSD BUY NOW @ 2650", id=1),
        world.post("SL 2640 TP1 2660", id=2),
        world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True),
    ]

    # Act
    await _run(world, posted, order)

    # Assert: as in the order posted, the edit's levels
    assert await _levels(account) == [(D("2645.00"), D("2655.00"))]


@pytest.mark.parametrize("order", ORDERS, ids=str)
async def test_levels_replying_then_an_edit_end_as_posted_for_a_user_who_only_tightens(
    world: World, order: tuple[int, ...]
) -> None:
    # Arrange: without allow_looser_sl, a stop moves only where it protects more
    account = await world.add_user("alice", **TIGHT_ONLY)
    posted = [
        world.post("XAUUSD BUY NOW @ 2650", id=1),
        world.post("SL 2648 TP1 2660", id=2, reply_to=1),
        world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True),
    ]

    # Act
    await _run(world, posted, order)

    # Assert: the tighter stop (the levels') and the edit's target
    assert await _levels(account) == [(D("2648.00"), D("2655.00"))]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [(PROTECTED, D("2642.00")), (TIGHT_ONLY, D("2648.00"))],
    ids=["looser-allowed", "tighten-only"],
)
@pytest.mark.parametrize("edit_first", [False, True], ids=["posted-order", "edit-first"])
async def test_move_sl_overtaken_by_the_signals_edit_ends_as_posted(
    world: World, settings: dict[str, object], expected: D, edit_first: bool
) -> None:
    # Arrange: "move SL to 2648", then the signal edited to SL 2642 and a new target
    account = await world.add_user("alice", **settings)
    signal = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1)
    move = world.post("Move SL to 2648", id=2, reply_to=1)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2642\nTP 2665", id=1, edited=True)

    # Act
    await world.deliver(signal, *((edit, move) if edit_first else (move, edit)))
    await world.settle()

    # Assert: the edit's stop where loosening is allowed, else the tighter; the edit's target
    assert await _levels(account) == [(expected, D("2665.00"))]


@pytest.mark.parametrize("edit_first", [False, True], ids=["posted-order", "edit-first"])
async def test_a_new_target_overtaken_by_the_signals_edit_keeps_the_edits_target(
    world: World, edit_first: bool
) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1)
    target = world.post("TP 2680", id=2, reply_to=1)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2665", id=1, edited=True)

    # Act
    await world.deliver(signal, *((edit, target) if edit_first else (target, edit)))
    await world.settle()

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2665.00"))]


@pytest.mark.parametrize("edit_first", [False, True], ids=["posted-order", "edit-first"])
async def test_an_edit_of_the_target_alone_leaves_an_earlier_follow_ups_stop(
    world: World, edit_first: bool
) -> None:
    # Arrange: the edit changes only the target; the stop moved before it stays moved
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1)
    move = world.post("Move SL to 2648", id=2, reply_to=1)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2665", id=1, edited=True)

    # Act
    await world.deliver(signal, *((edit, move) if edit_first else (move, edit)))
    await world.settle()

    # Assert
    assert await _levels(account) == [(D("2648.00"), D("2665.00"))]


@pytest.mark.parametrize("edit_first", [False, True], ids=["posted-order", "edit-first"])
async def test_a_follow_up_posted_after_the_edit_still_wins(world: World, edit_first: bool) -> None:
    # Arrange: the edit, then "move SL to 2648" posted after it
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2642\nTP 2665", id=1, edited=True)
    move = world.post("Move SL to 2648", id=2, reply_to=1)

    # Act
    await world.deliver(signal, *((edit, move) if edit_first else (move, edit)))
    await world.settle()

    # Assert
    assert await _levels(account) == [(D("2648.00"), D("2665.00"))]


@pytest.mark.parametrize("edit_first", [False, True], ids=["posted-order", "edit-first"])
async def test_a_risk_sized_trade_ends_with_the_same_volume_whichever_comes_first(
    world: World, edit_first: bool
) -> None:
    # Arrange: 1 % of 10,000 sized for the default stop 4.0 under the fill: 0.25 lots
    risk_sized = {**PROTECTED, "risk_mode": "risk_percent", "risk_percent": "1"}
    account = await world.add_user("alice", **risk_sized)
    signal = world.post("XAUUSD BUY NOW @ 2650", id=1)
    levels = world.post("SL 2640 TP1 2660", id=2)
    edit = world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2655", id=1, edited=True)

    # Act
    await world.deliver(signal, *((edit, levels) if edit_first else (levels, edit)))
    await world.settle()

    # Assert: as in the order posted
    positions = await account.positions()
    assert [(p.sl, p.tp, p.volume) for p in positions] == [(D("2645.00"), D("2655.00"), D("0.09"))]
