"""Round 7 of the hostile review: realistic channel scenarios replayed end to end.

Each test is a scenario in which a trader got something other than what the channel meant
before its fix.
"""

from __future__ import annotations

from decimal import Decimal as D

from signal_copier.core.model import Status
from world import World

GOLD_SELL = "SELL XAUUSD 2650 SL 2660 TP 2640"


async def test_a_new_tp_naming_the_trade_it_changes_moves_that_target_and_opens_nothing(
    world: World,
) -> None:
    # Before: "New TP for gold sell: 2642" was read as a new gold SELL at 2642 with no stop and
    # no target: a risk-percent user got a second, unprotected-by-the-channel position of
    # 0.62 lots (on a default stop) while the trade it meant kept its old target.
    # Arrange: a gold sell is open
    alice = await world.add_user("alice", lot="0.10", no_sl="default_sl", default_sl_pips="40")
    await world.say(GOLD_SELL, id=1)

    # Act: the channel gives that trade a new target
    await world.say("New TP for gold sell: 2642", id=2, reply_to=1)

    # Assert: one position, its target moved
    positions = await alice.positions()
    assert [(p.symbol, p.volume, p.tp) for p in positions] == [("XAUUSD", D("0.1"), D("2642"))]
    assert (await world.last("alice")).result.status is Status.APPLIED


GOLD_BUY = "XAUUSD BUY NOW 2650\nSL 2640\nTP 2660"


async def test_moving_the_stop_of_a_trade_its_stop_already_closed_says_there_is_no_position(
    world: World,
) -> None:
    # Before: "Move SL to entry" after the broker had stopped the trade out was recorded as
    # "nothing to change", as if the stop were already at entry: the signal log told the
    # trader the position was still there and protected.
    # Arrange: a gold buy, then the market falls through its stop
    alice = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2639.00", "2639.30"))
    assert await alice.positions() == []

    # Act: the channel, late, moves its stop to entry
    await world.say("Move SL to entry", id=2, reply_to=1)

    # Assert
    last = await world.last("alice")
    assert (last.result.status, last.result.reason) == (Status.SKIPPED, "no_position")
    assert "no longer open" in last.result.detail


async def test_an_edit_that_widens_a_typod_stop_trims_a_risk_sized_trade_to_its_risk(
    world: World,
) -> None:
    # Before: a 1 %-risk trader was sized for the typo'd stop one point away (0.76 lot); the
    # edit moved the stop ten points away and kept the volume, so the stop now risked 8 % of
    # the balance instead of 1 %.
    # Arrange: a gold buy whose stop is a typo a point under the entry
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2649\nTP 2660", id=1)
    (opened,) = await bob.positions()
    assert opened.volume == D("0.76")

    # Act: the channel corrects the stop
    world.later(10)
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1, edited=True)

    # Assert: the stop moved and the position now risks at most 1 % of 10,000
    (position,) = await bob.positions()
    risk = position.volume * (position.open_price - position.sl) * 100
    assert position.sl == D("2640.00")
    assert position.volume == D("0.09") and risk <= 100
    assert any("risk" in note for note in (await world.last("bob")).result.notes)
