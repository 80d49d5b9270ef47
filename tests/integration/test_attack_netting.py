"""Openings racing for one symbol of a netting account, and the hold that keeps them apart.

A netting account books one position per symbol: while an opening places, it holds the symbol
in the store (services/reservations.py), so a second signal on that symbol handled meanwhile
is refused instead of netting into the first's position. These scenarios check the hold is
given back when nothing was placed, taken back by the same intent when it is retried, and
never outlives `timing.opening_hold`.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.broker.paper import PaperAccount
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable
from signal_copier.core.market import Credentials, MarginMode
from signal_copier.core.model import Status
from signal_copier.core.reasons import Reason
from signal_copier.services import accounts
from signal_copier.services.pipeline import handle_message
from world import World

GOLD_AGAIN = "XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2670"


async def _netting_user(world: World, user_id: str = "alice") -> PaperAccount:
    # A netting account copying one position per signal, 0.20 lots each.
    await world.add_user(user_id, connect=False, lot="0.20", netting="single")
    account_id = f"net-{user_id}"
    account = world.paper.open_account(account_id, balance=D(10000), margin_mode=MarginMode.NETTING)
    world.pipeline.add_owner(account_id, user_id)
    creds = Credentials(account_id=account_id, token="t0ken-" + user_id)
    await accounts.save_credentials(world.deps, user_id, creds)
    return account


async def test_a_signal_handled_while_another_places_on_its_symbol_is_refused_naming_it(
    tmp_path: Path,
) -> None:
    # Arrange: the second gold signal is handled while the first one's order is on its way
    world = World(tmp_path, wrap=Hooked)
    account = await _netting_user(world)
    first, second = world.post(GOLD_BUY, id=1), world.post(GOLD_AGAIN, id=2)

    async def second_signal_meanwhile() -> None:
        await handle_message(second, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", second_signal_meanwhile, nth=1)

    # Act
    await world.deliver(first)
    await world.settle()

    # Assert: the first signal's position alone, and the second's record says why
    records = {r.intent.message_id: r.result for r in await world.records("alice")}
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.20"), D("2640.00"))]
    assert (records[1].status, records[2].status) == (Status.PLACED, Status.SKIPPED)
    assert records[2].reason is Reason.NETTING_ACCOUNT
    assert "another signal on XAUUSD is being placed" in records[2].detail


async def test_a_signal_the_broker_refuses_gives_the_netting_symbol_back_at_once(
    tmp_path: Path,
) -> None:
    # Arrange: the broker refuses the first gold signal's order
    world = World(tmp_path, wrap=Hooked)
    account = await _netting_user(world)
    refusal = BrokerRejected("market closed for XAUUSD", reason=Reason.BROKER_REJECTED)
    world.broker.fail("place", nth=1, error=refusal)
    await world.say(GOLD_BUY, id=1)

    # Act: the next gold signal, seconds later (well within the hold)
    await world.say(GOLD_AGAIN, id=2)

    # Assert: nothing of the first was placed, so nothing kept the second out
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.20"), D("2645.00"))]


async def test_a_retried_signal_takes_its_own_netting_hold_back_and_places(
    tmp_path: Path,
) -> None:
    # Arrange: the first attempt's order times out before it reaches the broker
    world = World(tmp_path, wrap=Hooked)
    account = await _netting_user(world)
    world.broker.fail("place", nth=1, error=BrokerUnavailable("timed out (injected)"))

    # Act: the intent is redelivered and retried
    await world.say(GOLD_BUY, id=1)
    await world.settle()

    # Assert: the retry was not refused by the hold its own first attempt took
    assert [p.volume for p in await account.positions()] == [D("0.20")]
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_a_signal_that_gave_up_with_nothing_placed_gives_the_netting_symbol_back(
    tmp_path: Path,
) -> None:
    # Arrange: one attempt only; the first gold signal's order times out and it gives up
    world = World(tmp_path, wrap=Hooked, max_attempts=1)
    account = await _netting_user(world)
    world.broker.fail("place", nth=1, error=BrokerUnavailable("timed out (injected)"))
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say(GOLD_AGAIN, id=2)

    # Assert
    assert (await world.records("alice"))[0].result.status is Status.FAILED
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.20"), D("2645.00"))]


async def test_a_netting_hold_left_by_a_crashed_worker_ends_after_the_hold(
    tmp_path: Path,
) -> None:
    # Arrange: a worker took the gold hold for an opening, then died and never came back
    world = World(tmp_path)
    account = await _netting_user(world)
    hold = world.deps.timing.opening_hold
    await world.store.reserve_symbol("alice", "XAUUSD", "crashed", world.now, hold)
    await world.say(GOLD_BUY, id=1)  # refused while the hold may still be an opening in flight

    # Act: a gold signal once the hold has run out
    world.later(hold.total_seconds())
    await world.say(GOLD_AGAIN, id=2)

    # Assert
    assert (await world.records("alice"))[0].result.reason is Reason.NETTING_ACCOUNT
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.20"), D("2645.00"))]


async def test_a_signal_right_after_the_symbols_position_closed_is_copied(tmp_path: Path) -> None:
    # Arrange: the first gold buy opens on the netting account and is closed again at once
    world = World(tmp_path)
    account = await _netting_user(world)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close now", id=2, reply_to=1)
    assert await account.positions() == []

    # Act: the channel's next gold call, half a minute later
    world.later(30)
    await world.say(GOLD_AGAIN, id=3)

    # Assert: nothing places on gold any more, so it opens (not refused as netting_account)
    assert (await world.last("alice")).result.reason is not Reason.NETTING_ACCOUNT
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.20"), D("2645.00"))]
