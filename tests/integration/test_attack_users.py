"""Attack: subscriptions, plan limits and sizing settings that cost a trader money (review).

Each test was a way to lose money that the review reproduced; each now proves its fix.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.dashboard import ChatInfo
from signal_copier.core.errors import BrokerRejected
from signal_copier.core.fleet import SessionLink
from signal_copier.core.reasons import Reason
from signal_copier.core.records import Plan
from signal_copier.services import onboarding
from signal_copier.services.pipeline import handle_message
from signal_copier.services.webdeps import WebDeps
from signal_copier.telegram.offline import OfflineTelegramLogin
from world import World

EURO_BUY = "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900"


async def test_unfollowing_a_channel_still_lets_its_close_reach_the_trade_it_opened(
    world: World,
) -> None:
    # Arrange: a trade from the channel is open; the user unfollows the channel
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.store.delete_subscription("alice", "c1")

    # Act: the channel closes its signal
    await world.say("Close now", id=2, reply_to=1)

    # Assert
    assert await account.positions() == []


async def test_a_pending_order_still_expires_after_the_user_unfollows_its_channel(
    world: World,
) -> None:
    # Arrange: a limit order that must expire after 5 minutes; the user unfollows the channel
    account = await world.add_user("alice", lot="0.20", pending_expiry_minutes=5)
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    await world.store.delete_subscription("alice", "c1")

    # Act
    await world.settle(5 * 60 + 1)

    # Assert: the stale order can no longer fill days later
    assert await account.orders() == []


async def test_a_free_user_who_follows_from_the_dashboard_copies_the_next_signal(
    tmp_path: Path,
) -> None:
    # Arrange: the channel has been posting; a free user follows it from the dashboard
    world = World(tmp_path)
    await world.add_user("bob", lot="0.01")
    await world.say("Morning all", id=1)
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660", id=2)
    account = await world.add_user(
        "alice", plan=Plan.FREE, lot="0.01", chats=(), max_signal_age_s=60
    )
    web = WebDeps(
        deps=world.deps, web=world.web, fleet=world.fleet, telegram=OfflineTelegramLogin()
    )
    await world.fleet.link_session(SessionLink(user_id="alice", shard=0))  # her listener's
    await world.fleet.put_chats("alice", [ChatInfo(chat_id="c1", title="Gold VIP")])
    await onboarding.follow(web, "alice", "c1", {}, world.later(5), "127.0.0.1")

    # Act
    await world.say(EURO_BUY, id=3)
    await world.settle()

    # Assert
    assert [p.symbol for p in await account.positions()] == ["EURUSD"]


async def test_a_free_plans_last_trade_goes_to_the_next_signal_when_the_first_is_rejected(
    tmp_path: Path,
) -> None:
    # Arrange: 9 of 10 trades used; the 10th signal's order is rejected by the broker, and the
    # 11th signal is handled while the 10th is on its way to the broker
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", plan=Plan.FREE, lot="0.01")
    for n in range(1, 10):
        await world.say(f"XAUUSD BUY NOW\nSL 2640\nTP 2660\n#{n}", id=n)
    tenth = world.post(EURO_BUY, id=10)
    eleventh = world.post("GBPUSD BUY NOW\nSL 1.2670\nTP 1.2760", id=11)

    async def eleventh_arrives() -> None:
        await handle_message(eleventh, world.deps, world.now)
        await world.queue.drain()

    place = world.broker.calls("place") + 1
    world.broker.before("place", eleventh_arrives, nth=place)
    refused = BrokerRejected("market closed", reason=Reason.BROKER_REJECTED)
    world.broker.fail("place", nth=place, error=refused)

    # Act
    await world.deliver(tenth)

    # Assert: as in order, the 11th signal gets the trade the 10th gave back
    assert {p.symbol for p in await account.positions()} == {"XAUUSD", "GBPUSD"}


async def test_max_open_trades_goes_to_the_signal_posted_first(world: World) -> None:
    # Arrange: one open trade allowed; two signals, the second delivered first
    account = await world.add_user("alice", lot="0.01", max_open_trades=1)
    first = world.post(GOLD_BUY, id=1)
    second = world.post(EURO_BUY, id=2)

    # Act
    await world.deliver(second, first)
    await world.settle()

    # Assert: the same trade as in order
    assert {p.symbol for p in await account.positions()} == {"XAUUSD"}


async def test_a_signals_lot_never_sizes_a_user_above_their_own_lot(world: World) -> None:
    # Arrange: default settings: a fixed 0.01 lot
    account = await world.add_user("alice")

    # Act: the channel writes a lot size meant for its own account
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660\nLot 2", id=1)

    # Assert
    assert sum(p.volume for p in await account.positions()) <= D("0.01")
