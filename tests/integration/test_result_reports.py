"""A result the channel reports replying to its signal, on the paper broker."""

from decimal import Decimal as D

from signal_copier.core.model import ChangeKind, Status
from world import World

_LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"


async def test_tp1_hit_reply_cancels_the_unfilled_limit_and_says_why(world: World) -> None:
    account = await world.add_user("alice")
    await world.say(_LIMIT, id=1)
    (order,) = await account.orders()
    await world.say("TP1 hit ✅", id=2, reply_to=1)
    assert await account.orders() == []
    record = await world.last("alice")
    assert record.intent.message_id == 2 and record.result.status is Status.APPLIED
    assert [(c.kind, c.target) for c in record.result.changes] == [(ChangeKind.CANCEL, order.id)]
    assert "reported a result on this signal (message 1): the move is over" in record.result.detail


async def test_a_report_on_a_filled_trade_records_nothing_and_keeps_its_positions(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2655\nTP 2660", id=1)
    before = await account.positions()
    await world.say("Closed in profit ✅", id=2, reply_to=1)
    assert await account.positions() == before and len(before) == 2
    assert [r.intent.message_id for r in await world.records("alice")] == [1]


async def test_a_report_replying_to_chatter_records_nothing(world: World) -> None:
    account = await world.add_user("alice")
    await world.say(_LIMIT, id=1)
    await world.say("Good morning traders", id=2)
    await world.say("TP hit 💰", id=3, reply_to=2)
    assert len(await account.orders()) == 1
    assert [r.intent.message_id for r in await world.records("alice")] == [1]


async def test_tp1_hit_with_a_stop_change_cancels_the_unfilled_limit_and_says_why(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice")
    await world.say(_LIMIT, id=1)
    (order,) = await account.orders()

    # Act: the channel's target is hit, and it moves the stop to the entry
    await world.say("TP1 hit ✅ move SL to entry", id=2, reply_to=1)

    # Assert: no stop for an entry that never filled: the entry goes, and the trader is told
    record = await world.last("alice")
    assert await account.orders() == [] and await account.positions() == []
    assert record.intent.message_id == 2 and record.result.status is Status.APPLIED
    assert [(c.kind, c.target) for c in record.result.changes] == [(ChangeKind.CANCEL, order.id)]
    assert "reported a result with this change: the move is over" in record.result.detail


async def test_tp1_hit_with_a_stop_change_on_a_filled_trade_moves_its_stop(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)
    (opened,) = await account.positions()
    await world.prices(XAUUSD=("2656.00", "2656.30"))

    # Act
    await world.say("TP1 hit ✅ move SL to entry", id=2, reply_to=1)

    # Assert: the trade runs on, protected at its entry
    assert [p.sl for p in await account.positions()] == [opened.open_price]


async def test_a_plan_step_naming_tp1_leaves_the_waiting_entry_waiting(world: World) -> None:
    # Arrange
    account = await world.add_user("alice")
    await world.say(_LIMIT, id=1)

    # Act: the channel tells what it will do at TP1; nothing was reported hit
    await world.say("TP1 hit → move SL to entry", id=2, reply_to=1)

    # Assert
    assert [o.price for o in await account.orders()] == [D("2640")]
