"""An opening's account guards over MetaAPI: read beside the instrument, judged as before."""

from __future__ import annotations

from pathlib import Path

from metaapi_cloud_sdk.clients.timeout_exception import TimeoutException

from builders import GOLD_BUY
from metaapi_world import MetaApiWorld
from signal_copier.core.model import Status

GUARDED = {"lot": "0.20", "max_open_trades": 5, "daily_loss_limit": "1000"}
GUARD_READS = {"get_deals_by_time_range", "get_positions", "get_orders"}


async def test_the_guards_reads_go_out_beside_the_instruments_in_one_round_trip(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    await world.add_user("alice", **GUARDED)
    await world.say(GOLD_BUY, id=1)  # connects; the symbol list and spec are cached
    world.server.delay = 0.01  # each request now takes a while: what overlaps shows
    seen = len(world.server.calls)

    await world.say(f"{GOLD_BUY}\n#2", id=2)  # a call of its own, not a repost

    calls, together = world.server.calls[seen:], world.server.together[seen:]
    before_order = together[: calls.index("trade")]
    # A round trip starts with a request sent while nothing else is in flight.
    assert sum(len(sent) == 1 for sent in before_order) == 1
    assert set(before_order[-1]) >= {"get_symbol_price", "get_account_information", *GUARD_READS}
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_a_guard_read_that_failed_does_not_count_when_the_market_check_refuses(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    await world.add_user("alice", **GUARDED)
    world.server.fail("get_positions", TimeoutException("no response within 60 s"))

    await world.say("XAUUSD BUY LIMIT 265.0\nSL 264\nTP 266", id=1)  # a power of ten off

    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "price_decimal_slip")
    assert world.queue.redelivered == 0 and world.server.count("get_positions") == 1


async def test_an_unknown_symbol_is_recorded_whatever_the_guards_reads_did(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    await world.add_user("alice", symbol_map={"XAUUSD": "GOLDX"}, **GUARDED)
    world.server.fail("get_positions", TimeoutException("no response within 60 s"))

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "unknown_symbol")
    assert world.queue.redelivered == 0


async def test_a_guard_read_that_failed_when_judged_is_retried_then_the_signal_placed(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", **GUARDED)
    world.server.fail("get_positions", TimeoutException("no response within 60 s"))

    await world.say(GOLD_BUY, id=1)

    assert (await world.last("alice")).result.status is Status.PLACED
    assert world.queue.redelivered == 1 and len(await account.positions()) == 2
