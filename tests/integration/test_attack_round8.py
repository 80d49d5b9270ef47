"""Round 8 of the hostile review: the newest money paths under edits, retries and races.

Each test is a scenario in which a trader lost money (or protection) before its fix.
"""

from __future__ import annotations

from decimal import Decimal as D

from world import World


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
    risk = position.volume * (position.open_price - position.sl) * 100
    assert position.sl == D("2640.00")
    assert risk <= 100, (position.volume, risk)
