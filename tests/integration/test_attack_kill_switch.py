"""Attack: the kill switch and pauses under races and odd broker answers (hostile review).

Each test was a way to lose money that the review reproduced; each now proves its fix.
"""

from __future__ import annotations

from contextlib import suppress
from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from flaky import FlakyBroker
from hooks import Hooked
from signal_copier.core.errors import CopierError
from signal_copier.services import control
from world import World

EURO_BUY = "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900"


async def test_a_kill_switch_pressed_while_an_opening_is_placing_leaves_nothing_open(
    tmp_path: Path,
) -> None:
    # Arrange: the user presses the kill switch while a signal's first order is on its way
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def press_kill_switch() -> None:
        await control.kill_switch(world.deps, "alice", world.now)

    world.broker.before("place", press_kill_switch)

    # Act
    await world.say(GOLD_BUY, id=1)

    # Assert: whatever the opening sent after the press is closed again
    user = await world.store.get_user("alice")
    assert user is not None and user.paused_reason == "kill_switch"
    assert await account.positions() == [] and await account.orders() == []


async def test_a_kill_switch_closes_every_other_trade_when_one_hit_its_sl_meanwhile(
    tmp_path: Path,
) -> None:
    # Arrange: gold (2 legs) and EURUSD open; gold's SL is hit just as the switch reaches it
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say(EURO_BUY, id=2)

    async def gold_hits_its_sl() -> None:
        world.paper.set_quotes({"XAUUSD": (D("2639.00"), D("2639.30"))}, world.later(0))

    world.broker.before("close_position", gold_hits_its_sl)

    # Act: the first close is refused ("no open position"); the switch may report it
    with suppress(CopierError):
        await control.kill_switch(world.deps, "alice", world.now)

    # Assert: the EURUSD trade is closed too
    assert await account.positions() == []


async def test_a_retry_after_the_kill_switch_and_resume_sends_no_leg_of_the_killed_signal(
    tmp_path: Path,
) -> None:
    # Arrange: leg 1 times out; meanwhile the user kills everything, then resumes copying
    async def kill_then_resume() -> None:
        await control.kill_switch(world.deps, "alice", world.now)
        await control.resume(world.deps, "alice")

    world = World(
        tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on={2}, on_fail=kill_then_resume)
    )
    account = await world.add_user("alice", lot="0.20")

    # Act: the redelivered intent retries within the signal's max age
    await world.say(GOLD_BUY, id=1)

    # Assert: the killed signal is not reopened half-size
    assert await account.positions() == []


async def test_a_daily_loss_pause_never_replaces_a_kill_switch_pressed_meanwhile(
    tmp_path: Path,
) -> None:
    # Arrange: today's loss is past the limit; the user presses the kill switch while the next
    # signal's account guards read the history
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20", daily_loss_limit="50")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2639.00", "2639.30"))  # both legs stopped out: about -206 USD

    async def press_kill_switch() -> None:
        await control.kill_switch(world.deps, "alice", world.now)

    world.broker.before("history", press_kill_switch, nth=world.broker.calls("history") + 1)

    # Act
    await world.say(EURO_BUY, id=2)

    # Assert: still kill-switched, with no end date
    user = await world.store.get_user("alice")
    assert user is not None
    assert (user.paused_reason, user.paused_until) == ("kill_switch", None)
