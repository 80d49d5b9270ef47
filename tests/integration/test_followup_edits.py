"""Edited follow-ups: a correction the channel makes runs as its own intent when that is safe.

A command that sets a state (close all, SL to a price) runs again; a partial close runs only if
no earlier version of the message closed anything; a typo fix or a re-entry never runs twice.
Every edit is on the user's record. Each scenario holds in any delivery order and count.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from signal_copier.core.model import ChangeKind, RawMessage
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.services import control
from world import World

GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660"
AGAIN = "Buy again from here same SL and TP"
ORDERS = {
    "in order": (0, 1, 2),
    "edit before its original": (0, 2, 1),
    "all backwards, duplicated": (2, 1, 2, 0, 1, 0),
}


async def _edits(world: World, message_id: int) -> list[TradeRecord]:
    records = await world.records("alice")
    return [r for r in records if r.intent.message_id == message_id and r.intent.version]


async def _post(world: World, original: str, edit: str) -> list[RawMessage]:
    # The signal (1), a reply to it (2) and the channel's edit of that reply, not yet delivered.
    return [
        world.post(GOLD_BUY, id=1),
        world.post(original, id=2, reply_to=1),
        world.post(edit, id=2, reply_to=1, edited=True),
    ]


@pytest.mark.parametrize("order", list(ORDERS))
async def test_close_half_edited_into_close_all_closes_everything_in_any_delivery_order(
    world: World, order: str
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    messages = await _post(world, "Close half", "Close all")

    # Act
    await world.deliver(*(messages[i] for i in ORDERS[order]))
    await world.settle()

    # Assert: half closed by the reply, the rest by its edit
    assert await account.positions() == []
    (edit,) = await _edits(world, 2)
    assert [c.kind for c in edit.result.changes] == [ChangeKind.CLOSE]


@pytest.mark.parametrize("order", list(ORDERS))
async def test_move_sl_edited_to_another_price_moves_it_there_in_any_delivery_order(
    world: World, order: str
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    messages = await _post(world, "Move SL to 2645", "Move SL to 2648")

    # Act
    await world.deliver(*(messages[i] for i in ORDERS[order]))
    await world.settle()

    # Assert
    assert [p.sl for p in await account.positions()] == [D("2648.00")]


async def test_close_all_edited_into_close_half_is_not_run_again_and_says_why(
    world: World,
) -> None:
    # Arrange: everything closed by the reply
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close all", id=2, reply_to=1)

    # Act
    await world.say("Close half", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert await account.positions() == []
    (edit,) = await _edits(world, 2)
    assert edit.result.reason is Reason.FOLLOW_UP_EDITED
    assert "partial close after an earlier version of it had already closed" in edit.result.detail


async def test_close_half_edited_into_close_30_percent_takes_no_second_part(world: World) -> None:
    # Arrange: half closed by the reply
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)

    # Act
    await world.say("Close 30%", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: the other half is still open
    assert [p.volume for p in await account.positions()] == [D("0.05")]
    (edit,) = await _edits(world, 2)
    assert (edit.result.reason, edit.result.changes) == (Reason.FOLLOW_UP_EDITED, ())


async def test_a_partial_close_edited_in_before_anything_closed_runs(world: World) -> None:
    # Arrange: the reply moved the stop, closing nothing
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 2645", id=2, reply_to=1)

    # Act
    await world.say("Close half", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.05"), D("2645.00"))]


async def test_a_typo_fix_of_a_follow_up_does_nothing_more_and_is_recorded(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)

    # Act: the same command, its text fixed
    await world.say("Close half!!", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert [p.volume for p in await account.positions()] == [D("0.05")]
    (edit,) = await _edits(world, 2)
    assert edit.result.reason is Reason.FOLLOW_UP_EDITED
    assert "without changing what it says" in edit.result.detail


async def test_a_follow_up_edited_into_a_re_entry_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 2645", id=2, reply_to=1)

    # Act
    await world.say(AGAIN, id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: one trade, the signal's
    assert len(await account.positions()) == 1
    (edit,) = await _edits(world, 2)
    assert (edit.result.reason, edit.result.fills) == (Reason.FOLLOW_UP_EDITED, ())


async def test_a_re_entry_edited_again_opens_no_second_trade(world: World) -> None:
    # Arrange: the signal and its re-entry are both open
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say(AGAIN, id=2, reply_to=1)

    # Act
    await world.say(AGAIN + " 🔥", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert len(await account.positions()) == 2
    (edit,) = await _edits(world, 2)
    assert edit.result.reason is Reason.FOLLOW_UP_EDITED


async def test_chatter_edited_into_a_re_entry_opens_it_once(world: World) -> None:
    # Arrange: the post was no follow-up before, so its edit is the first instruction it gives
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Good morning traders", id=2, reply_to=1)

    # Act
    await world.say(AGAIN, id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: the signal's trade and the re-entry's
    assert len(await account.positions()) == 2


async def test_an_edited_follow_up_after_the_kill_switch_finds_nothing_and_opens_nothing(
    world: World,
) -> None:
    # Arrange: the kill switch closed the signal's trade
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say("Move SL to 2645", id=2, reply_to=1)
    await control.kill_switch(world.deps, "alice", world.now, retry_delays=(0.0, 0.0))

    # Act: the reply is corrected twice, into a close and then into a re-entry
    await world.say("Close all", id=2, reply_to=1, edited=True)
    await world.say(AGAIN, id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert (await account.positions(), await account.orders()) == ([], [])
    reasons = [edit.result.reason for edit in await _edits(world, 2)]
    assert sorted(reasons) == [Reason.FOLLOW_UP_EDITED, Reason.NO_POSITION]


async def test_a_levels_message_edited_to_another_stop_moves_the_completed_trades_stop(
    world: World,
) -> None:
    # Arrange: a side-first signal opened at the default stop, completed by its levels
    account = await world.add_user(
        "alice", lot="0.10", no_sl="default_sl", default_sl_pips="40", allow_looser_sl=True
    )
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)

    # Act
    await world.say("SL 2642 TP1 2660", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert
    assert [(p.sl, p.tp) for p in await account.positions()] == [(D("2642.00"), D("2660.00"))]


async def test_a_levels_message_edited_after_it_opened_a_refused_signal_opens_nothing_more(
    world: World,
) -> None:
    # Arrange: a signal without a stop is refused; its levels open it late
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650", id=1)
    await world.say("SL 2640 TP1 2660", id=2, reply_to=1)

    # Act
    await world.say("SL 2642 TP1 2660", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: still one trade, at the edited stop
    assert [(p.sl, p.volume) for p in await account.positions()] == [(D("2642.00"), D("0.10"))]
