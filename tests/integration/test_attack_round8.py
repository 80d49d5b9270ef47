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
    risk = position.volume * (position.open_price - position.sl) * 100
    assert position.sl == D("2630.00") and position.client_id == waiting.client_id
    assert position.volume == D("0.1") and risk <= 100
    assert any(
        "placed again" in note for r in await world.records("bob") for note in r.result.notes
    )
