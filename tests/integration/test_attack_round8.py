"""Round 8 of the hostile review: the newest money paths under edits, retries and races.

Each test is a scenario in which a trader lost money (or protection) before its fix.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from hooks import Hooked
from session_fakes import NOW, Topic, WithRecent, post, session_runner
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.market import Position
from signal_copier.core.model import RawMessage, Status
from signal_copier.services import control
from world import World


def _risk(position: Position) -> D:
    # What a gold position loses at its stop (100 per lot and point).
    assert position.sl is not None
    return position.volume * (position.open_price - position.sl) * 100


async def test_a_second_edit_widening_the_stop_again_still_keeps_the_trade_to_its_risk(
    world: World,
) -> None:
    # Arrange: a 1 %-risk gold buy sized for a stop a point away, then a first correction
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2649\nTP 2660", id=1)
    world.later(10)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2660", id=1, edited=True)

    # Act: the channel widens the stop once more
    world.later(10)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1, edited=True)

    # Assert: the position still risks at most 1 % of 10,000
    (position,) = await bob.positions()
    risk = _risk(position)
    assert position.sl == D("2640.00")
    assert risk <= 100, (position.volume, risk)


async def test_an_edit_widening_the_stop_of_a_waiting_risk_sized_order_shrinks_it_before_it_fills(
    world: World,
) -> None:
    # Arrange: a 1 %-risk gold buy limit sized for a stop a point under its entry
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2639\nTP 2660", id=1)
    (waiting,) = await bob.orders()
    assert waiting.volume == D("1")

    # Act: the channel corrects the stop ten points under the entry, then price comes down
    world.later(10)
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2630\nTP 2660", id=1, edited=True)
    await world.prices(XAUUSD=("2639.80", "2640.00"))

    # Assert: the filled position risks at most 1 % of 10,000, under the leg's own clientId
    (position,) = await bob.positions()
    risk = _risk(position)
    assert position.sl == D("2630.00") and position.client_id == waiting.client_id
    assert position.volume == D("0.1") and risk <= 100
    assert any(
        "placed again" in note for r in await world.records("bob") for note in r.result.notes
    )


async def test_an_edit_moving_a_stop_written_in_pips_moves_the_trades_stop(world: World) -> None:
    # Arrange: a gold buy with its stop and target written in pips
    alice = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW\nSL 30 pips\nTP 60 pips", id=1)
    (opened,) = await alice.positions()
    assert opened.sl == opened.open_price - D("3.0")

    # Act: the channel widens the stop and the target, still in pips
    world.later(10)
    await world.say("XAUUSD BUY NOW\nSL 80 pips\nTP 120 pips", id=1, edited=True)

    # Assert: both levels moved as far from the entry as the edit says
    (position,) = await alice.positions()
    assert (position.sl, position.tp) == (opened.open_price - 8, opened.open_price + 12)
    assert (await world.last("alice")).result.reason != "nothing_to_change"


async def test_an_edit_giving_a_default_stopped_trade_a_wider_stop_keeps_it_to_its_risk(
    world: World,
) -> None:
    # Arrange: a 1 %-risk trader (who lets a stop be loosened) whose default stop (20 pips)
    # sized a gold buy with no stop
    bob = await world.add_user(
        "bob",
        risk_mode="risk_percent",
        risk_percent="1",
        no_sl="default_sl",
        default_sl_pips="20",
        allow_looser_sl=True,
    )
    await world.say("XAUUSD BUY NOW @ 2650\nTP 2660", id=1)
    (opened,) = await bob.positions()
    assert opened.volume == D("0.5")

    # Act: the channel adds its stop ten points away
    world.later(10)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1, edited=True)

    # Assert: the stop moved and the position risks at most 1 % of 10,000
    (position,) = await bob.positions()
    risk = _risk(position)
    assert position.sl == D("2640.00") and risk <= 100, (position.volume, risk)


class FollowedWhileConnected(WithRecent):
    """A connected session (it stays so until `done`) whose newly followed chats are read
    while live messages of another new chat arrive: `live` maps the chat whose first read
    delivers, midway, those live messages."""

    def __init__(
        self, history: dict[str, list[RawMessage]], live: dict[str, list[RawMessage]]
    ) -> None:
        super().__init__(history, live)
        self.caught_up, self.done = asyncio.Event(), asyncio.Event()

    async def latest_id(self, chat_id: str) -> int:
        """Return the chat's newest id; live messages of other chats arrive meanwhile."""
        for update in self.live.pop(chat_id, []):
            self.history[update.chat_id].append(update)
            assert self.handler is not None
            await self.handler(update)
        return await super().latest_id(chat_id)

    async def run_until_disconnected(self) -> None:
        """Stay connected until the scenario is over."""
        self.caught_up.set()
        await self.done.wait()
        self.disconnected.set()


async def test_a_signal_posted_before_the_roster_read_in_the_second_of_two_new_chats_is_published() -> (  # noqa: E501
    None
):
    # Arrange: a connected session following one chat; the user follows two more. The second
    # posted a signal 30 s ago (before the listener's roster read), and a live message of the
    # second arrives while the first new chat is being read.
    old_chat, first, second = "-1001", "-1002", "-1003"
    signal = replace(post(second, 41), date=NOW - timedelta(seconds=30))
    live = replace(post(second, 42), date=NOW)
    telegram = FollowedWhileConnected(
        history={old_chat: [], first: [post(first, 7)], second: [signal]},
        live={first: [live]},
    )
    topic = Topic()
    runner = await session_runner(telegram, topic, [], (old_chat,), telegram.disconnected)
    running = asyncio.ensure_future(runner.run())
    await telegram.caught_up.wait()

    # Act: the listener's roster read finds the two new chats
    await runner.follow(runner.update_chats((old_chat, first, second)))
    telegram.done.set()
    await running

    # Assert: the signal posted before the roster read is published, and the live message
    assert sorted(topic.ids(second)) == [41, 42]
    mark = runner.marks.get(second)
    assert mark is not None and mark.message_id == 42


GOLD_BUY_IN_PIPS = "XAUUSD BUY NOW\nSL 30 pips\nTP1 20 pips\nTP2 40 pips\nTP3 60 pips"


async def test_a_runner_of_a_signal_with_targets_in_pips_is_trailed_to_the_previous_target(
    world: World,
) -> None:
    # Arrange: three legs of a gold buy at 2650.30 whose targets are 20, 40 and 60 pips away
    alice = await world.add_user(
        "alice", lot="0.30", breakeven_on_tp1=True, trail_sl_to_previous_tp=True
    )
    await world.say(GOLD_BUY_IN_PIPS, id=1)
    assert [p.tp for p in await alice.positions()] == [D("2652.30"), D("2654.30"), D("2656.30")]

    # Act: price reaches TP1, then TP2
    await world.prices(XAUUSD=("2652.50", "2652.80"))
    await world.prices(XAUUSD=("2654.50", "2654.80"))

    # Assert: the runner's stop is trailed to TP1
    assert [p.sl for p in await alice.positions()] == [D("2652.30")]


async def test_sl_to_tp1_on_a_signal_with_targets_in_pips_moves_the_stop_to_tp1(
    world: World,
) -> None:
    # Arrange: the gold buy's first target (20 pips) is hit
    alice = await world.add_user("alice", lot="0.30")
    await world.say(GOLD_BUY_IN_PIPS, id=1)
    await world.prices(XAUUSD=("2653.00", "2653.30"))

    # Act
    await world.say("SL to TP1", id=2, reply_to=1)

    # Assert: both remaining legs are stopped at TP1
    assert [p.sl for p in await alice.positions()] == [D("2652.30"), D("2652.30")]


async def test_a_kill_switch_pressed_while_an_edit_resizes_a_waiting_order_leaves_nothing_open(
    tmp_path: Path,
) -> None:
    # Arrange: a 1 %-risk buy limit waits; its edit widens the stop, so the order is cancelled
    # and placed again smaller — and the trader presses the kill switch right between the two
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2639\nTP 2660", id=1)

    async def press_kill_switch() -> None:
        await control.kill_switch(world.deps, "bob", world.now)

    world.broker.before("place", press_kill_switch, nth=world.broker.calls("place") + 1)

    # Act
    world.later(10)
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2630\nTP 2660", id=1, edited=True)

    # Assert: no order or position is left on the account
    assert (await bob.orders(), await bob.positions()) == ([], [])


async def test_an_edit_whose_resized_order_was_placed_but_unconfirmed_places_it_once(
    tmp_path: Path,
) -> None:
    # Arrange: the smaller order reaches the account, but the call times out; the edit is retried
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2639\nTP 2660", id=1)
    nth = world.broker.calls("place") + 1
    world.broker.fail("place", nth=nth, after=True, error=BrokerUnavailable("timed out"))

    # Act
    world.later(10)
    await world.say("XAUUSD BUY LIMIT @ 2640\nSL 2630\nTP 2660", id=1, edited=True)
    await world.settle()

    # Assert: one order, at the volume the 1 % risk allows
    assert [(o.volume, o.sl) for o in await bob.orders()] == [(D("0.1"), D("2630.00"))]


TYPO_LIMIT = "XAUUSD BUY LIMIT 2645\nSL 2644\nTP 2660"
FIXED_LIMIT = "XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2660"


async def test_the_resized_order_is_what_a_later_cancel_reply_acts_on(world: World) -> None:
    # Arrange: the edit placed the pending order again, smaller
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    await world.say(FIXED_LIMIT, id=1, edited=True)
    assert [o.volume for o in await bob.orders()] == [D("0.1")]

    # Act: the channel cancels the signal
    await world.say("Cancel this one", id=2, reply_to=1)

    # Assert: nothing is left waiting
    assert await bob.orders() == []
    assert (await world.last("bob")).result.status is Status.APPLIED


async def test_a_resized_order_expires_like_the_entry_it_replaced(world: World) -> None:
    # Arrange: entries expire after 5 minutes; the edit resizes the order a minute in
    bob = await world.add_user(
        "bob", risk_mode="risk_percent", risk_percent="1", pending_expiry_minutes=5
    )
    await world.say(TYPO_LIMIT, id=1)
    world.later(60)
    await world.say(FIXED_LIMIT, id=1, edited=True)
    assert len(await bob.orders()) == 1

    # Act: the entry's time runs out
    await world.settle(5 * 60 + 1)

    # Assert: the resized order no longer waits for its price
    assert await bob.orders() == []


async def test_an_order_that_fills_before_its_resize_cancel_is_not_placed_again(
    tmp_path: Path,
) -> None:
    # Arrange: the price reaches the entry just before the edit cancels the order
    world = World(tmp_path, wrap=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)

    async def price_reaches_entry() -> None:
        await world.prices(XAUUSD=("2644.70", "2645.00"))

    world.broker.before("cancel_order", price_reaches_entry, nth=1)

    # Act
    await world.say(FIXED_LIMIT, id=1, edited=True)

    # Assert: only the filled order remains, with the stop it was sized for; nothing waits
    (position,) = await bob.positions()
    assert (position.sl, await bob.orders()) == (D("2644.00"), [])
    assert "cancel" in (await world.last("bob")).result.detail


async def test_a_worker_dying_between_the_resize_cancel_and_placement_never_doubles_the_order(
    tmp_path: Path,
) -> None:
    # Arrange: the order is cancelled, then the worker dies before placing it again
    world = World(tmp_path, wrap=Hooked, wrap_store=Hooked)
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(TYPO_LIMIT, id=1)
    world.later(10)
    world.broker.die("place", nth=world.broker.calls("place") + 1)
    with suppress(asyncio.CancelledError):
        await world.say(FIXED_LIMIT, id=1, edited=True)

    # Act: the claim's lease ends and the sweep hands the edit to another worker
    await world.settle(61)
    await world.queue.drain()

    # Assert: never the full-size order, and never two (the leg is left cancelled: less
    # exposure, never more)
    assert [o.volume for o in await bob.orders() if o.volume > D("0.1")] == []
    assert len(await bob.orders()) <= 1 and await bob.positions() == []


EURO_ONLY = "EURUSD SELL NOW 1.0850\nSL 1.0900\nTP 1.0800"
GOLD_AND_EURO = "XAUUSD BUY NOW 2650\nSL 2640\nTP 2660\n\n" + EURO_ONLY


async def test_a_signal_put_back_by_a_later_edit_with_its_side_turned_opens_no_second_trade(
    world: World,
) -> None:
    # Arrange: a post with a gold buy and a euro sell; an edit drops the gold buy
    alice = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_AND_EURO, id=1)
    world.later(10)
    await world.say(EURO_ONLY, id=1, edited=True)

    # Act: the next edit puts gold back, as a sell
    world.later(10)
    turned = "XAUUSD SELL NOW 2650\nSL 2660\nTP 2640\n\n" + EURO_ONLY
    await world.say(turned, id=1, edited=True)

    # Assert: no gold sell beside the gold buy; the trader is told the signal changed
    assert sorted((p.symbol, p.side) for p in await alice.positions()) == [
        ("EURUSD", "sell"),
        ("XAUUSD", "buy"),
    ]
    reasons = [r.result.reason for r in await world.records("alice")]
    assert "signal_changed" in reasons
