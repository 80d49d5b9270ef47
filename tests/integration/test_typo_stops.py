"""A signal whose stop reads as a typo is not copied, and the channel's fix of it is (review 11)."""

from decimal import Decimal as D

import pytest

from signal_copier.core.model import Status
from world import World

TYPO = "XAUUSD BUY NOW @ 2650\nSL 2460\nTP 2660"


async def test_a_stop_two_swapped_digits_away_is_not_copied_and_says_which_was_meant(
    world: World,
) -> None:
    # Arrange: a fixed lot would risk 190 for a 10 target
    account = await world.add_user("alice", lot="0.10")

    # Act
    await world.say(TYPO, id=1)

    # Assert
    assert await account.positions() == []
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "price_typo")
    assert "2640 would fit" in result.detail


async def test_the_channels_edit_fixing_a_typod_stop_opens_the_signal(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(TYPO, id=1)

    # Act
    await world.say(TYPO.replace("2460", "2640"), id=1, edited=True)

    # Assert
    assert [(p.volume, p.sl, p.tp) for p in await account.positions()] == [
        (D("0.10"), D("2640.00"), D("2660.00"))
    ]


async def test_a_wide_stop_no_slip_explains_is_copied_as_written(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")

    await world.say("XAUUSD BUY NOW @ 2650\nSL 2500\nTP 2660", id=1)

    assert [p.sl for p in await account.positions()] == [D("2500.00")]


async def test_a_typod_stop_corrected_by_a_reply_of_levels_opens_the_signal(world: World) -> None:
    # Arrange: the stop reads as a typo of 2640; the channel answers with the stop it meant
    account = await world.add_user("alice", lot="0.10")
    await world.say(TYPO, id=1)

    # Act
    await world.say("SL 2640", id=2, reply_to=1)

    # Assert
    assert [(p.volume, p.sl, p.tp) for p in await account.positions()] == [
        (D("0.10"), D("2640.00"), D("2660.00"))
    ]


@pytest.mark.parametrize("order", [(0, 1, 2), (0, 2, 1), (2, 1, 0), (0, 2, 1, 2, 1)])
async def test_a_typod_stop_corrected_by_an_edit_and_a_reply_opens_once(
    world: World, order: tuple[int, ...]
) -> None:
    # Arrange: the channel fixes the post and also answers with the stop, in any delivery order
    account = await world.add_user("alice", lot="0.10")
    messages = [
        world.post(TYPO, id=1),
        world.post(TYPO.replace("2460", "2640"), id=1, edited=True),
        world.post("SL 2640", id=2, reply_to=1),
    ]

    # Act
    await world.deliver(*(messages[i] for i in order))
    await world.settle()

    # Assert: one trade, with the stop the channel meant
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.10"), D("2640.00"))]
