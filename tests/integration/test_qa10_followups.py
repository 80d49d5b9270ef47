"""Follow-ups a replayed-scenario QA round found misread: breakeven with a buffer, close + stop."""

from decimal import Decimal as D

from builders import GOLD_BUY
from world import World


async def test_breakeven_plus_two_pips_puts_the_stop_two_pips_beyond_the_entry(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654", "2654.3"))
    await world.say("Move SL to BE + 2 pips (cover spread) 🛡️", id=2, reply_to=1)
    assert {p.sl for p in await account.positions()} == {D("2650.50")}  # 2650.30 + 2 × 0.1


async def test_close_half_then_breakeven_plus_pips_moves_the_rest_beyond_the_entry(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654", "2654.3"))
    await world.say("Close half, SL to BE +3 pips", id=2, reply_to=1)
    positions = await account.positions()
    assert [p.volume for p in positions] == [D("0.05"), D("0.05")]  # half of each leg closed
    assert {p.sl for p in positions} == {D("2650.60")}


async def test_close_half_and_stop_to_a_price_moves_the_stop_of_what_stays(world: World) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654.5", "2654.8"))
    await world.say("Close half and move SL to 2652", id=2, reply_to=1)
    positions = await account.positions()
    assert [(p.volume, p.sl) for p in positions] == [(D("0.05"), D("2652.00"))] * 2


async def test_close_half_with_a_stop_above_the_price_closes_and_keeps_the_stop(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654.5", "2654.8"))
    await world.say("Close half and move SL to 2654.9", id=2, reply_to=1)  # above the bid
    positions = await account.positions()
    assert [(p.volume, p.sl) for p in positions] == [(D("0.05"), D("2640.00"))] * 2
    record = await world.last("alice")
    assert any("sl_wrong_side" in note for note in record.result.notes)
