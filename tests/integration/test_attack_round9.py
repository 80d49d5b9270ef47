"""Round 9 of the hostile review: resizes, cancelled signals and the money paths around them.

Each test is a scenario in which a trader lost money (or a leg, or protection) before its fix.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from hooks import Hooked
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable
from signal_copier.core.market import Credentials, Position
from signal_copier.core.model import Status
from signal_copier.core.reasons import Reason
from signal_copier.services import accounts, control
from signal_copier.services.pipeline import handle_message
from world import World

TYPO_LIMIT = "XAUUSD BUY LIMIT 2645\nSL 2644\nTP 2660"
FIXED_LIMIT = "XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2660"


@pytest.mark.parametrize(
    ("method", "after"),
    [("cancel_order", True), ("place", False), ("place", True)],
    ids=["after-cancel", "before-place", "after-place"],
)
async def test_a_worker_dying_mid_resize_still_leaves_the_smaller_order_waiting(
    tmp_path: Path, method: str, after: bool
) -> None:
    # Arrange: a 1 %-risk buy limit waits; its edit widens the stop, so the order is cancelled
    # and placed again smaller — and the worker dies at one step of that
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.broker.die(method, nth=world.broker.calls(method) + 1, after=after)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)

    # Act: the claim's lease ends and the sweep hands the edit to another worker
    await world.settle(61)
    await world.queue.drain()

    # Assert: the leg waits once, at the volume its 1 % risk allows with the wider stop
    assert [(o.volume, o.sl) for o in await bob.orders()] == [(D("0.1"), D("2635.00"))]
    assert await bob.positions() == []


async def test_a_store_failing_as_a_resize_is_marked_done_still_leaves_one_smaller_order(
    tmp_path: Path,
) -> None:
    # Arrange: the smaller order is placed, then the store fails to record that the resize ended
    world = World(tmp_path, wrap_store=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.store.fail("update_trade", nth=world.store.calls("update_trade") + 2, after=False)

    # Act
    with suppress(Exception):
        await world.say(FIXED_LIMIT, id=1, edited=True)
    await world.settle(61)
    await world.queue.drain()

    # Assert
    assert [(o.volume, o.sl) for o in await bob.orders()] == [(D("0.1"), D("2635.00"))]


async def test_a_kill_switch_pressed_after_a_resize_was_cut_short_leaves_the_leg_cancelled(
    tmp_path: Path,
) -> None:
    # Arrange: the worker dies right after cancelling the order it was resizing; the trader
    # then presses the kill switch
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)
    await control.kill_switch(world.deps, "bob", world.now)

    # Act: the edit is handed to another worker
    await world.settle(61)
    await world.queue.drain()

    # Assert: nothing is placed again, and the trader is told why the leg is gone
    assert (await bob.orders(), await bob.positions()) == ([], [])
    notes = [n for r in await world.records("bob") for n in r.result.notes]
    assert any("kill switch" in n for n in notes), notes
    assert all(not r.resizing for r in await world.records("bob"))


GOLD_NOW = "XAUUSD BUY NOW 2650\nSL 2640\nTP 2660"


async def test_a_signal_edited_into_cancelled_after_it_filled_says_its_position_was_kept(
    world: World,
) -> None:
    # Arrange: the market order filled
    alice = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_NOW, id=1)

    # Act: the channel edits the post into "CANCELLED"
    world.later(30)
    await world.say(f"{GOLD_NOW}\nCANCELLED", id=1, edited=True)
    await world.settle()

    # Assert: the position stays (on_signal_deleted: cancel_pending, the default), and the
    # trader reads that it was kept and why
    assert len(await alice.positions()) == 1
    last = await world.last("alice")
    assert "kept 1 filled position" in last.result.detail, last.result
    assert "on_signal_deleted" in last.result.detail


async def test_a_signal_edited_into_cancelled_is_closed_for_a_trader_who_closes_withdrawn_ones(
    world: World,
) -> None:
    # Arrange: a trader whose withdrawn signals are closed; the market order filled
    alice = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(GOLD_NOW, id=1)

    # Act
    world.later(30)
    await world.say(f"{GOLD_NOW}\nCANCELLED", id=1, edited=True)
    await world.settle()

    # Assert: the position is closed, and the record says the channel cancelled the signal
    assert await alice.positions() == []
    last = await world.last("alice")
    assert last.result.status is Status.APPLIED
    assert "closed 1 position" in last.result.detail, last.result


async def test_a_cancel_reply_to_a_filled_signal_says_the_position_was_kept(world: World) -> None:
    # Arrange: a market order filled; a reply "cancel" only takes back what has not filled
    alice = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(GOLD_NOW, id=1)

    # Act
    await world.say("Cancel this one", id=2, reply_to=1)

    # Assert: a reply is not the signal withdrawn: the position stays, and the record says so
    assert len(await alice.positions()) == 1
    assert "kept 1 filled position" in (await world.last("alice")).result.detail


@pytest.mark.parametrize(
    "taken_back_by", ["a cancel reply", "a deletion", "an edit into cancelled"]
)
async def test_a_signal_taken_back_after_its_resize_was_cut_short_is_not_placed_again(
    tmp_path: Path, taken_back_by: str
) -> None:
    # Arrange: the worker resizing the waiting order dies right after cancelling it; the
    # channel then takes the signal back
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)

    # Act: the follow-up waits for the edit, which another worker finishes first
    if taken_back_by == "a cancel reply":
        await world.say("Cancel this one", id=2, reply_to=1)
    elif taken_back_by == "a deletion":
        await world.delete(id=1)
    else:
        await world.say(f"{FIXED_LIMIT}\nCANCELLED", id=1, edited=True)
    await world.settle(61)
    await world.queue.drain()

    # Assert: nothing waits, and the take-back is what the last record says
    assert (await bob.orders(), await bob.positions()) == ([], [])
    assert any(c.kind == "cancel" for c in (await world.last("bob")).result.changes)


async def test_a_resize_cut_short_is_not_finished_on_an_account_the_trader_switched_to(
    tmp_path: Path,
) -> None:
    # Arrange: the worker resizing the waiting order dies right after cancelling it; the
    # trader then connects another MT5 account
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)
    other = world.paper.open_account("acc-bob-2", balance=D("10000"))
    world.pipeline.add_owner("acc-bob-2", "bob")
    creds = Credentials(account_id="acc-bob-2", token="t0ken-bob-2")
    await accounts.save_credentials(world.deps, "bob", creds)

    # Act
    await world.settle(61)
    await world.queue.drain()

    # Assert: nothing lands on the new account, and the record says why the leg is gone
    assert (await other.orders(), await other.positions()) == ([], [])
    notes = [n for r in await world.records("bob") for n in r.result.notes]
    assert any("broker account has changed" in n for n in notes), notes


async def test_a_resize_cut_short_near_the_entrys_expiry_never_outlives_the_expiry(
    tmp_path: Path,
) -> None:
    # Arrange: entries expire after 5 minutes; at 4½ the edit's worker dies right after
    # cancelling the order it resizes, and the expiry passes before another worker takes over
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user(
        "bob", risk_mode="risk_percent", risk_percent="1", pending_expiry_minutes=5
    )
    await world.say(TYPO_LIMIT, id=1)
    world.later(4 * 60 + 30)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1, after=True)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)

    # Act
    await world.settle(61)
    await world.queue.drain()
    await world.settle(600)

    # Assert: the expired entry is not left waiting for its price, and the record says why
    assert await bob.orders() == []
    notes = [n for r in await world.records("bob") for n in r.result.notes]
    assert any("expired" in n for n in notes), notes


V10 = "Volatility 10 Index BUY NOW 6500\nSL 6400\nTP 6700"
V10_WIDER = "Volatility 10 Index BUY NOW 6500\nSL 6390\nTP 6700"


def _v10_risk(position: Position) -> D:
    # What a Volatility 10 Index position loses at its stop (1 per lot and point).
    assert position.sl is not None
    return position.volume * (position.open_price - position.sl)


async def test_a_wider_stop_on_a_symbol_with_a_large_minimum_cuts_a_volume_the_broker_takes(
    world: World,
) -> None:
    # Arrange: a 5 %-risk trade on a synthetic index whose minimum volume is 0.5 lots
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="5")
    await world.say(V10, id=1)

    # Act: the channel widens the stop by a tenth; keeping the risk needs a cut under 0.5 lots
    world.later(10)
    await world.say(V10_WIDER, id=1, edited=True)

    # Assert: the position was cut (by the broker's minimum) and risks no more than 5 %
    (position,) = await bob.positions()
    assert position.sl == D("6390.000") and position.volume < D("4.98")
    assert _v10_risk(position) <= 500, position


async def test_a_wider_stop_whose_cut_the_broker_refuses_is_not_applied(tmp_path: Path) -> None:
    # Arrange: a 1 %-risk gold buy; the broker refuses the partial close that keeps its risk
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY NOW 2650\nSL 2649\nTP 2660", id=1)
    refused = BrokerRejected("market closed", reason=Reason.MARKET_CLOSED)
    world.broker.fail("close_position", nth=world.broker.calls("close_position") + 1, error=refused)

    # Act
    world.later(10)
    await world.say("XAUUSD BUY NOW 2650\nSL 2645\nTP 2660", id=1, edited=True)

    # Assert: the stop stays where the trade's size was priced for, and the record says why
    (position,) = await bob.positions()
    assert position.sl == D("2649.00")
    last = await world.last("bob")
    assert "market closed" in last.result.detail, last.result
    assert any("stop" in note and "kept" in note for note in last.result.notes), last.result


async def test_a_signal_cancelled_by_an_edit_before_its_opening_ran_is_not_opened(
    tmp_path: Path,
) -> None:
    # Arrange: the trader's opening meets a broker hiccup; meanwhile the channel edits the post
    # into "CANCELLED", and the opening is retried afterwards
    world = World(tmp_path, wrap=Hooked)
    alice = await world.add_user("alice", lot="0.10")
    cancelled = world.post(f"{GOLD_NOW}\nCANCELLED", id=1, edited=True)

    async def channel_cancels() -> None:
        await handle_message(cancelled, world.deps, world.now)

    world.broker.before("connect", channel_cancels, nth=1)
    world.broker.fail("connect", nth=1, error=BrokerUnavailable("connection reset"))

    # Act
    await world.say(GOLD_NOW, id=1)
    await world.settle()

    # Assert: nothing was opened, and the record says the channel had cancelled it
    assert await alice.positions() == []
    opening = next(r for r in await world.records("alice") if r.intent.kind == "open")
    assert opening.result.reason is Reason.SIGNAL_CLOSED, opening.result


async def test_a_close_half_the_channel_deleted_before_it_ran_closes_nothing(
    tmp_path: Path,
) -> None:
    # Arrange: "Close half" arrives while its signal is still being opened, so it waits; the
    # channel deletes it (posted by mistake) before the opening is done
    world = World(tmp_path, wrap=Hooked)
    alice = await world.add_user("alice", lot="0.40")
    signal = world.post(GOLD_NOW, id=1)
    close = world.post("Close half", id=2, reply_to=1)
    deletion = world.deletion(id=2)

    async def channel_posts_then_deletes() -> None:
        await handle_message(close, world.deps, world.now)
        await handle_message(deletion, world.deps, world.now)

    world.broker.before("place", channel_posts_then_deletes, nth=1)

    # Act
    await world.deliver(signal)
    await world.settle()

    # Assert: the whole position stays, and the follow-up's record says why it did nothing
    assert sum(p.volume for p in await alice.positions()) == D("0.40")
    assert (await world.last("alice")).result.reason is Reason.FOLLOW_UP_DELETED


async def test_an_edit_that_gives_up_mid_resize_says_which_waiting_order_is_gone(
    tmp_path: Path,
) -> None:
    # Arrange: the edit cancels the waiting order to place it again smaller, and the broker
    # then refuses every new order as unavailable until the edit gives up
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    (waiting,) = await bob.orders()
    first = world.broker.calls("place") + 1
    for nth in range(first, first + 30):
        world.broker.fail("place", nth=nth, error=BrokerUnavailable("no connection"))

    # Act
    world.later(10)
    await world.say(FIXED_LIMIT, id=1, edited=True)
    await world.settle(61)
    await world.queue.drain()

    # Assert: the edit's failure names the order that is no longer waiting, and nothing is
    # left to place it again later, unasked
    edit = await world.last("bob")
    assert edit.result.status is Status.FAILED, edit.result
    assert f"pending order {waiting.id}" in edit.result.detail, edit.result
    assert all(not r.resizing for r in await world.records("bob"))
    assert await bob.orders() == []


async def test_an_edit_after_the_trader_changed_the_default_stop_keeps_the_risk_it_was_sized_for(
    world: World,
) -> None:
    # Arrange: a 1 %-risk trader whose default stop (20 pips) sized a gold buy with no stop,
    # who then sets a wider default stop (100 pips) for later signals
    bob = await world.add_user(
        "bob",
        risk_mode="risk_percent",
        risk_percent="1",
        no_sl="default_sl",
        default_sl_pips="20",
        allow_looser_sl=True,
    )
    await world.say("XAUUSD BUY NOW @ 2650\nTP 2660", id=1)
    await world.store.update_user(
        "bob", lambda u: replace(u, settings={**u.settings, "default_sl_pips": "100"})
    )

    # Act: the channel adds its stop about fifty pips away
    world.later(10)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2660", id=1, edited=True)

    # Assert: judged against the 20-pip stop it was sized for, the trade risks at most 1 %
    (position,) = await bob.positions()
    assert position.sl == D("2645.00")
    assert position.volume * (position.open_price - position.sl) * 100 <= 100, position
