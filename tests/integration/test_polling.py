"""The sweep polls the deals of accounts holding managed trades: the cloud's broker events."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from world import World


async def test_a_tp1_hit_found_in_the_deals_moves_the_rest_to_breakeven(tmp_path: Path) -> None:
    world = World(tmp_path, poll_deals=True)  # the broker reports nothing by itself
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))  # TP1 (2655) hit on the broker
    assert {p.sl for p in await account.positions()} == {D("2640.00")}

    await world.settle(seconds=61)
    await world.settle(seconds=61)  # polled twice: acted on once

    (runner,) = await account.positions()
    assert runner.sl == D("2650.30")
    managed = [r for r in await world.records("alice") if r.intent.kind == "manage"]
    assert len(managed) == 1


async def test_an_account_with_nothing_left_to_manage_is_no_longer_polled(tmp_path: Path) -> None:
    world = World(tmp_path, poll_deals=True)  # the broker reports nothing by itself
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    assert [user for user, _ in await world.store.watched(10)] == ["alice"]

    await world.say("Close all now", id=2, reply_to=1)
    await world.settle(seconds=61)

    assert await world.store.watched(10) == []
