"""Re-entries ("Buy again, same SL and TP", "Add more at 2645", "Re-enter SL … TP …") open a new
trade of the signal they refer to: once, under their own id, through every opening guard."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from hooks import Hooked
from signal_copier.broker.paper import PaperAccount
from signal_copier.core.model import IntentKind, OrderType, Status
from signal_copier.services import control
from world import World

SIGNAL = "XAUUSD BUY NOW 2650\nSL 2644\nTP 2660"
AGAIN = "Buy again from here 🔁 same SL and TP"


async def _positions(account: PaperAccount) -> list[tuple[D, D | None, D | None, D]]:
    return sorted((p.open_price, p.sl, p.tp, p.volume) for p in await account.positions())


async def test_buy_again_replying_to_a_signal_opens_a_second_trade_with_its_levels(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.prices(XAUUSD=("2647.50", "2647.80"))

    # Act
    await world.say(AGAIN, id=21, reply_to=20)

    # Assert
    assert await _positions(account) == [
        (D("2647.80"), D("2644"), D("2660"), D("0.10")),
        (D("2650.30"), D("2644"), D("2660"), D("0.10")),
    ]
    record = await world.last("alice")
    assert (record.intent.kind, record.intent.message_id) == (IntentKind.OPEN, 21)
    assert record.signal is not None and record.signal.symbol == "XAUUSD"
    assert "re-entry of the signal in message 20" in record.result.notes


async def test_add_more_at_a_price_posted_next_is_a_pending_order_on_the_latest_signal(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY 2650\nSL 2640\nTP 2665", id=30)

    # Act
    await world.say("Add more at 2645 👀", id=31)

    # Assert
    orders = await account.orders()
    assert [(o.order_type, o.price, o.sl, o.tp) for o in orders] == [
        (OrderType.LIMIT, D("2645"), D("2640"), D("2665"))
    ]
    assert len(await account.positions()) == 1


async def test_reenter_with_new_levels_after_a_stop_out_opens_with_those_levels(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW 2650\nSL 2644\nTP 2660", id=40)
    await world.prices(XAUUSD=("2643.50", "2643.80"))  # stopped out
    await world.prices(XAUUSD=("2646.00", "2646.30"))

    # Act
    await world.say("Re-enter ✅ SL 2641 TP 2662", id=41, reply_to=40)

    # Assert
    assert await _positions(account) == [(D("2646.30"), D("2641"), D("2662"), D("0.10"))]


async def test_a_reentry_delivered_first_and_twice_opens_once_as_in_order(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIGNAL, id=20)
    again = world.post(AGAIN, id=21, reply_to=20)

    # Act
    await world.deliver(again, again, signal, again, signal)
    await world.settle()

    # Assert: one trade per message, never the signal twice
    positions = await account.positions()
    assert sorted(p.volume for p in positions) == [D("0.10"), D("0.10")]
    placed = [r for r in await world.records("alice") if r.result.status is Status.PLACED]
    assert sorted(r.intent.message_id for r in placed) == [20, 21]


async def test_a_bare_reentry_arriving_before_its_signal_waits_for_it(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIGNAL, id=20)
    again = world.post(AGAIN, id=21)

    # Act
    await world.deliver(again, signal)

    # Assert
    assert len(await account.positions()) == 2


async def test_a_reentry_of_a_deleted_signal_opens_nothing_and_says_why(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    await world.delete(id=20)

    # Act
    await world.say("Buy limit again 2641", id=21, reply_to=20)

    # Assert
    assert await account.positions() == []
    assert await account.orders() == []
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "signal_deleted")


async def test_a_reentry_of_a_cancelled_signal_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=20)
    await world.say("Cancel the limit order", id=21, reply_to=20)

    # Act
    await world.say("Add more at 2638", id=22, reply_to=20)

    # Assert
    assert await account.orders() == []
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "signal_cancelled")


async def test_a_reentry_whose_side_contradicts_its_signal_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)

    # Act
    await world.say("Sell again, same SL and TP", id=21, reply_to=20)

    # Assert
    assert len(await account.positions()) == 1
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "reentry_mismatch")


async def test_a_reentry_with_no_signal_before_it_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("Good morning traders ☀️", id=19)

    # Act
    await world.say(AGAIN, id=20)

    # Assert
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "no_signal")


async def test_a_reentry_received_late_is_stale_like_any_opening(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    late = world.post(AGAIN, id=21, reply_to=20)
    world.later(300)

    # Act
    await world.pipeline.message(late, world.now)

    # Assert
    assert len(await account.positions()) == 1
    assert (await world.last("alice")).result.reason == "stale_signal"


async def test_a_reentry_after_the_kill_switch_opens_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await control.kill_switch(world.deps, "alice", world.now, retry_delays=(0.0, 0.0))

    # Act
    await world.say(AGAIN, id=21, reply_to=20)

    # Assert
    assert await account.positions() == []
    assert (await world.last("alice")).result.status is Status.SKIPPED


async def test_a_reentry_counts_against_max_open_trades(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", max_open_trades=1)
    await world.say(SIGNAL, id=20)

    # Act
    await world.say(AGAIN, id=21, reply_to=20)

    # Assert
    assert len(await account.positions()) == 1
    assert (await world.last("alice")).result.reason == "max_open_trades"


async def test_close_all_after_a_reentry_closes_the_reentrys_trade_too(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.say(AGAIN, id=21, reply_to=20)

    # Act
    await world.say("Close all trades now", id=22)

    # Assert
    assert await account.positions() == []


async def test_a_bare_reentry_after_the_latest_signal_was_deleted_repeats_no_older_one(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("EURUSD BUY NOW 1.0850\nSL 1.0820\nTP 1.0900", id=10)
    await world.say(SIGNAL, id=20)
    await world.delete(id=20)

    # Act
    await world.say(AGAIN, id=21)

    # Assert: the EURUSD buy of message 10 is not bought again
    assert [p.symbol for p in await account.positions()] == ["EURUSD", "XAUUSD"]
    assert (await world.last("alice")).result.reason == "signal_deleted"


async def test_a_reentry_slower_than_its_lease_is_never_placed_twice(tmp_path: Path) -> None:
    # Arrange: two TPs, two legs; the broker takes over a minute before the re-entry's second
    # leg, the lease ends and the sweep hands the intent to another worker
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW 2650\nSL 2644\nTP1 2655\nTP2 2660", id=20)

    async def lease_ends() -> None:
        await world.pipeline.sweep(world.later(61), force=True)

    world.broker.before("place", lease_ends, nth=world.broker.calls("place") + 2)

    # Act
    await world.say(AGAIN, id=21, reply_to=20)
    await world.settle()

    # Assert: two legs for the signal and two for its re-entry, not five
    legs = sorted((p.tp, p.client_id[:-2]) for p in await account.positions())
    assert len(legs) == 4 and len({client for _, client in legs}) == 2
    placed = [r for r in await world.records("alice") if r.intent.message_id == 21]
    assert [(r.intent.kind, len(r.result.fills)) for r in placed] == [(IntentKind.OPEN, 2)]
