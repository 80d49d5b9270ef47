"""Attack: follow-ups that act on the wrong trade, the wrong amount, or not at all (review).

Each test was a way to lose money that the review reproduced; each now proves its fix.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.errors import BrokerUnavailable
from world import World

THREE_TPS = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2670"


async def _volume(account: object) -> D:
    positions = await account.positions()  # type: ignore[attr-defined]
    return sum((p.volume for p in positions), D(0))


async def test_a_reply_closes_its_signal_even_if_an_unrelated_earlier_message_never_arrived(
    world: World,
) -> None:
    # Arrange: the signal, a chatter line that is lost on the way, then "Close now" replying
    # to the signal (the listener saw the chatter: it is the reply's previous message)
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=1)
    world.post("Gold looks strong today", id=2)  # never delivered
    close = world.post("Close now", id=3, reply_to=1)

    # Act: the reply waits for the lost line until its bound, then acts on what is known
    await world.deliver(signal, close)
    await world.settle()

    # Assert
    assert await account.positions() == []


async def test_a_close_retried_after_a_timeout_still_closes_what_close_half_left(
    tmp_path: Path,
) -> None:
    # Arrange: "close half" is done; 10 s later "Close now" times out before the broker acted
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    timeout = BrokerUnavailable("timed out before the server acted")
    world.broker.fail("close_position", nth=world.broker.calls("close_position") + 1, error=timeout)
    world.later(10)

    # Act: the redelivery retries it
    await world.say("Close now", id=3, reply_to=1)

    # Assert: nothing is left open
    assert await account.positions() == []


async def test_moving_tp3_leaves_tp1_and_tp2_where_they_are(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.30")
    await world.say(THREE_TPS, id=1)

    # Act
    await world.say("TP3 changed to 2680", id=2, reply_to=1)

    # Assert
    tps = sorted(p.tp for p in await account.positions())
    assert tps == [D("2655.00"), D("2660.00"), D("2680.00")]


async def test_closing_ten_percent_of_a_small_position_never_closes_all_of_it(
    world: World,
) -> None:
    # Arrange: one 0.05 lot position
    account = await world.add_user("alice", lot="0.05")
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)

    # Act
    await world.say("Close 10%", id=2, reply_to=1)

    # Assert: at most one step (0.01) is closed, never 100 %
    assert await _volume(account) >= D("0.04")


async def test_closing_a_quarter_of_two_legs_closes_a_quarter(world: World) -> None:
    # Arrange: 0.04 lots in two legs of 0.02
    account = await world.add_user("alice", lot="0.04")
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say("close 25%", id=2, reply_to=1)

    # Assert: 0.01 closed (exactly 25 %), not a whole 0.02 leg
    assert await _volume(account) == D("0.03")


async def test_a_bare_close_half_about_a_signal_the_user_filtered_out_leaves_their_gold(
    world: World,
) -> None:
    # Arrange: the user copies gold only; the channel's latest signal is EURUSD
    account = await world.add_user("alice", lot="0.20", allowed_symbols=["XAUUSD"])
    await world.say(GOLD_BUY, id=1)
    await world.say("EURUSD SELL NOW\nSL 1.0880\nTP 1.0800", id=2)

    # Act: the channel's bare follow-up is about its EURUSD signal
    await world.say("Close half", id=3)

    # Assert: the user's gold trade is untouched
    assert await _volume(account) == D("0.20")


async def test_an_edit_posted_before_a_follow_up_never_undoes_it_when_it_arrives_late(
    world: World,
) -> None:
    # Arrange: the channel edits TP2 to 2663, then says "Move TP to 2670"
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    edit = world.post(GOLD_BUY.replace("TP2 2660", "TP2 2663"), id=1, edited=True)
    move = world.post("Move TP to 2670", id=2, reply_to=1)

    # Act: the edit is delivered after the follow-up (Telegram edit updates come separately)
    await world.deliver(move, edit)
    await world.settle()

    # Assert: as in order: every TP at 2670
    assert {p.tp for p in await account.positions()} == {D("2670.00")}
