"""The real services over the MetaAPI adapter, with the SDK faked at its boundary (tests/fakes).

The fake SDK answers from the paper broker, so positions, fills and SL/TP hits behave as on an
MT5 server, while every call goes through MetaAPI's method names, payloads and exceptions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

from metaapi_cloud_sdk.clients.error_handler import TooManyRequestsException
from metaapi_cloud_sdk.clients.timeout_exception import TimeoutException

from builders import GOLD_BUY
from metaapi_world import MetaApiWorld
from signal_copier.core.errors import BrokerThrottled
from signal_copier.core.market import Credentials
from signal_copier.core.model import Status
from signal_copier.services import accounts

RETRY_AT = "2026-01-05T09:05:00.000Z"


def _throttled() -> TooManyRequestsException:
    return TooManyRequestsException(
        "You have used all your account subscriptions quota",
        {
            "periodInMinutes": 60,
            "requestsPerPeriodAllowed": 300,
            "recommendedRetryTime": RETRY_AT,
            "type": "LIMIT_REQUEST_RATE_PER_USER",
        },
    )


async def test_an_opening_with_two_tps_places_one_position_per_tp(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    positions = sorted(await account.positions(), key=lambda p: p.tp or 0)
    record = await world.last("alice")
    assert record.result.status is Status.PLACED
    assert [(p.volume, p.sl, p.tp) for p in positions] == [
        (D("0.10"), D("2640.00"), D("2655.00")),
        (D("0.10"), D("2640.00"), D("2660.00")),
    ]
    assert [p.client_id for p in positions] == [f"{record.intent.client_id}.{n}" for n in (0, 1)]
    assert sorted(f.position_id or "" for f in record.result.fills) == sorted(
        p.id for p in positions
    )
    assert [t["clientId"] for t in world.server.trades] == [p.client_id for p in positions]


async def test_close_half_reply_closes_half_of_each_position(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)
    assert sorted(p.volume for p in await account.positions()) == [D("0.05"), D("0.05")]
    assert [t["actionType"] for t in world.server.trades[2:]] == ["POSITION_PARTIAL"] * 2
    assert (await world.last("alice")).result.status is Status.APPLIED


async def test_move_sl_to_entry_moves_the_sl_and_keeps_each_tp(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2654", "2654.3"))
    await world.say("Move SL to entry", id=2, reply_to=1)
    positions = sorted(await account.positions(), key=lambda p: p.tp or 0)
    assert [(p.sl, p.tp) for p in positions] == [
        (D("2650.30"), D("2655.00")),
        (D("2650.30"), D("2660.00")),
    ]


async def test_a_timeout_after_the_server_placed_a_leg_is_reconciled_not_resent(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    world.server.fail("trade", TimeoutException("no response within 60 s"), after=True)
    await world.say(GOLD_BUY, id=1)
    positions = await account.positions()
    record = await world.last("alice")
    assert len(positions) == 2 and len({p.client_id for p in positions}) == 2
    assert world.server.count("trade") == 2  # leg 0 once (adopted on the retry), leg 1 once
    assert (record.result.status, len(record.result.fills)) == (Status.PLACED, 2)
    assert world.queue.redelivered == 1


async def test_a_timeout_after_a_partial_close_does_not_close_that_position_twice(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    world.server.fail("trade", TimeoutException("no response within 60 s"), after=True)
    await world.say("Close half", id=2, reply_to=1)
    assert sorted(p.volume for p in await account.positions()) == [D("0.05"), D("0.05")]
    assert world.queue.redelivered == 1


async def test_a_429_is_retried_and_then_the_signal_is_placed(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    world.server.fail("get_symbol_price", _throttled())
    await world.say(GOLD_BUY, id=1)
    assert len(await account.positions()) == 2
    assert (await world.last("alice")).result.status is Status.PLACED
    assert world.queue.redelivered == 1 and world.server.count("trade") == 2


async def test_a_429_that_outlasts_the_attempts_is_recorded_with_its_retry_time(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path, max_attempts=1)
    account = await world.add_user("alice", lot="0.20")
    world.server.fail("get_symbol_price", _throttled())
    await world.say(GOLD_BUY, id=1)
    (_, _, error), *_ = world.queue.dead_letters
    assert isinstance(error, BrokerThrottled)
    assert error.retry_at == datetime(2026, 1, 5, 9, 5, tzinfo=UTC)
    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.FAILED, "broker_throttled")
    assert await account.positions() == [] and world.server.count("trade") == 0


async def test_tp1_hit_moves_the_other_legs_sl_to_breakeven(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    (left,) = await account.positions()
    assert (left.tp, left.sl) == (D("2660.00"), left.open_price)
    assert world.server.trades[-1]["actionType"] == "POSITION_MODIFY"


async def test_cancel_reply_cancels_the_pending_order(tmp_path: Path) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    assert len(await account.orders()) == 1
    await world.say("Cancel this order", id=2, reply_to=1)
    assert await account.orders() == []
    assert world.server.trades[-1]["actionType"] == "ORDER_CANCEL"


async def test_a_revoked_token_is_recorded_as_reconnect_and_nothing_is_sent(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    world.server.revoked.add("t0ken-alice")
    await world.say(GOLD_BUY, id=1)
    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "broker_token_rejected")
    assert "connect your MetaAPI account again" in record.result.detail
    assert await account.positions() == [] and world.server.trades == []


async def test_new_credentials_close_the_connection_made_with_the_old_token(
    tmp_path: Path,
) -> None:
    world = MetaApiWorld(tmp_path)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    renewed = Credentials(account_id="acc-alice", token="a-fresh-token")
    await accounts.save_credentials(world.deps, "alice", renewed)
    assert world.sdk.connections[0].closed and world.sdk.apis[0].closed
    world.server.revoked.add("t0ken-alice")  # the old token is dead; the new one must be used
    await world.say("Close half", id=2, reply_to=1)
    assert sorted(p.volume for p in await account.positions()) == [D("0.05"), D("0.05")]
    assert len(world.sdk.apis) == 2
