"""Odd input never aborts a run: a quote that is not a price is ignored, the largest id works."""

from __future__ import annotations

import logging
from decimal import Decimal as D

import pytest

from builders import GOLD_BUY
from signal_copier.core.model import Status
from world import World


async def test_a_quote_of_1e30_mid_run_is_logged_and_the_run_goes_on(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    account = await world.add_user("alice", lot="0.10")
    before = await account.quote("XAUUSD")

    with caplog.at_level(logging.ERROR):
        await world.prices(XAUUSD=("1e30", "1e30"), EURUSD=("1.0900", "1.0901"))
    await world.say(GOLD_BUY, id=1)

    assert "XAUUSD: 1E+30 is not a price" in caplog.text
    after = await account.quote("XAUUSD")
    assert (after.bid, after.ask) == (before.bid, before.ask)
    assert (await account.quote("EURUSD")).bid == D("1.09000")  # the other symbol still moved
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_the_largest_message_id_goes_through_the_whole_pipeline(world: World) -> None:
    await world.add_user("alice", lot="0.10")
    largest = 2**63 - 1

    await world.say(GOLD_BUY, id=largest - 1)
    await world.say("Close all", id=largest, reply_to=largest - 1)

    records = await world.records("alice")
    assert [r.result.status for r in records] == [Status.PLACED, Status.APPLIED]
