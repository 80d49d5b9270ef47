"""Round 4 of the hostile review: the cloud's polled broker events and the races around them.

Each test is a scenario that lost a trader money (or would have) before its fix.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from metaapi_world import MetaApiWorld

EURO_BUY = "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900"


async def _managed(world: MetaApiWorld, user_id: str) -> int:
    return len([r for r in await world.records(user_id) if r.intent.kind == "manage"])


async def test_a_tp1_hit_long_after_the_opening_still_moves_the_runner_to_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: on MT5 a TP fill carries the broker's comment, not our clientId. The trade opened
    # minutes ago and another trade since moved the account's deal cursor past its opening.
    world = MetaApiWorld(tmp_path, poll_deals=True)
    gold = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.settle(seconds=61)
    await world.say(EURO_BUY, id=2)
    await world.settle(seconds=61)  # the cursor moves to the EURUSD opening
    await world.settle(seconds=61)

    # Act: TP1 (2655) is hit on the broker; the next poll reads the deals since the cursor
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert
    runner = [p for p in await gold.positions() if p.symbol == "XAUUSD"]
    assert [p.sl for p in runner] == [D("2650.30")]  # breakeven
    assert await _managed(world, "alice") == 1


async def test_a_tp1_hit_after_a_close_half_still_moves_the_runner_to_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: "close half" tagged its partial closes with its own clientId; then TP1 is hit,
    # whose fill (on MT5) carries the broker's comment instead of a clientId
    world = MetaApiWorld(tmp_path, poll_deals=True)
    gold = await world.add_user("alice", lot="0.40", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)

    # Act
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert
    assert [p.sl for p in await gold.positions()] == [D("2650.30")]  # breakeven
    assert await _managed(world, "alice") == 1
