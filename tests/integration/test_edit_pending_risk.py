"""An edit that widens the stop of a risk-sized pending order keeps the risk it was sized for."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from decimal import Decimal as D
from pathlib import Path

from hooks import Hooked
from signal_copier.core.model import Status
from world import World

TYPO = "XAUUSD BUY LIMIT 2645\nSL 2644\nTP 2660"
FIXED = "XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2660"


async def test_an_edit_widening_a_pending_orders_stop_replaces_it_with_the_risk_it_was_sized_for(
    world: World,
) -> None:
    # Before: a 1 %-risk trader's limit order was sized for the typo'd stop a point away
    # (1.00 lot); the edit moved the stop ten points away and kept the volume, so when the
    # order filled its stop risked 10 % of the balance instead of 1 %.
    # Arrange: a gold buy limit whose stop is a typo a point under its entry
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO, id=1)
    (placed,) = await bob.orders()
    sized = placed.volume

    # Act: the channel corrects the stop, then the price comes down to the entry
    world.later(10)
    await world.say(FIXED, id=1, edited=True)
    await world.prices(XAUUSD=("2644.70", "2645.00"))

    # Assert: the filled position holds the corrected stop and risks at most 1 % of 10,000
    (position,) = await bob.positions()
    risk = position.volume * (position.open_price - position.sl) * 100
    assert position.sl == D("2635.00") and position.tp == D("2660.00")
    assert position.volume == (sized / 10).quantize(D("0.01")) and risk <= 100
    last = await world.last("bob")
    assert last.result.status is Status.APPLIED
    assert any("risk" in note for note in last.result.notes)
    assert await bob.orders() == []


async def test_the_replaced_order_is_what_a_later_close_reply_acts_on(world: World) -> None:
    # Arrange: the pending order was replaced by the edit
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO, id=1)
    world.later(10)
    await world.say(FIXED, id=1, edited=True)
    assert len(await bob.orders()) == 1

    # Act: the channel cancels the signal
    await world.say("Cancel this one", id=2, reply_to=1)

    # Assert: nothing is left waiting
    assert await bob.orders() == []
    assert (await world.last("bob")).result.status is Status.APPLIED


async def test_a_worker_dying_between_the_copy_and_the_cancel_leaves_one_order_after_the_retry(
    tmp_path: Path,
) -> None:
    # Arrange: the smaller copy is placed, then the worker dies before it cancels the order
    world = World(tmp_path, wrap=Hooked, wrap_store=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO, id=1)
    world.later(10)
    world.broker.die("cancel_order", nth=world.broker.calls("cancel_order") + 1)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED, id=1, edited=True)

    # Act: the claim's lease ends and the sweep hands the edit to another worker
    await world.settle(61)
    await world.queue.drain()

    # Assert: one order, the copy, recorded on the edit so follow-ups reach it
    (order,) = await bob.orders()
    assert (order.volume, order.sl) == (D("0.1"), D("2635.00"))
    last = await world.last("bob")
    assert [f.order_id for f in last.result.fills] == [order.id]


async def test_an_order_that_fills_before_its_cancel_keeps_no_copy(tmp_path: Path) -> None:
    # Arrange: the price reaches the entry just after the copy is placed
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO, id=1)
    world.later(10)

    async def price_reaches_entry() -> None:
        await world.prices(XAUUSD=("2644.70", "2645.00"))

    world.broker.before("cancel_order", price_reaches_entry, nth=1)

    # Act
    await world.say(FIXED, id=1, edited=True)

    # Assert: only the filled order remains (sized for its own, nearer stop), no copy waits
    (position,) = await bob.positions()
    assert (position.sl, await bob.orders()) == (D("2644.00"), [])
    assert any("filled before" in note for note in (await world.last("bob")).result.notes)


async def test_a_copy_expires_like_the_entry_it_replaced(world: World) -> None:
    # Arrange: entries expire after 5 minutes; the edit replaces the order a minute in
    bob = await world.add_user(
        "bob", risk_mode="risk_percent", risk_percent="1", pending_expiry_minutes=5
    )
    await world.say(TYPO, id=1)
    world.later(60)
    await world.say(FIXED, id=1, edited=True)
    assert len(await bob.orders()) == 1

    # Act: the entry's time runs out
    await world.settle(5 * 60 + 1)

    # Assert: the copy no longer waits for its price
    assert await bob.orders() == []
