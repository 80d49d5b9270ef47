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
    risk = position.volume * (position.open_price - position.sl) * 100
    assert position.sl == D("2640.00") and risk <= 100, (position.volume, risk)
