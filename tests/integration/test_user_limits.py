"""Limits a user sets: daily loss, pending expiry, per-channel symbols and hours, bad settings."""

from decimal import Decimal as D

import pytest

from builders import GOLD_BUY
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.model import Side
from signal_copier.core.records import Plan
from signal_copier.services import accounts
from world import World


async def test_daily_loss_limit_pauses_copying_until_midnight(world: World) -> None:
    account = await world.add_user("alice", daily_loss_limit="100")
    losing = await account.open_manual("XAUUSD", Side.BUY, D("1"))
    await account.close_position(losing.id)  # bought at the ask, sold at the bid: -30 USD
    await world.prices(XAUUSD=("2649", "2649.3"))
    second = await account.open_manual("XAUUSD", Side.BUY, D("1"))
    await world.prices(XAUUSD=("2648", "2648.3"))
    await account.close_position(second.id)  # -130 USD: 160 lost today
    await world.say("XAUUSD BUY NOW @ 2648\nSL 2638\nTP 2660", id=1)
    assert (await world.last("alice")).result.reason == "daily_loss_limit"
    user = await world.store.get_user("alice")
    assert user is not None and user.paused_reason == "daily_loss_limit"
    assert user.paused_until is not None and user.paused_until.hour == 0


async def test_pending_entry_is_cancelled_after_its_expiry(world: World) -> None:
    account = await world.add_user("alice", pending_expiry_minutes=30)
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    assert len(await account.orders()) == 1
    world.later(31 * 60)
    await world.prices(XAUUSD=("2650.1", "2650.4"))
    await world.pipeline.sweep()
    assert await account.orders() == []


async def test_channel_symbol_list_and_hours_apply_per_channel(world: World) -> None:
    account = await world.add_user("alice", chats=())
    await accounts.follow_channel(world.deps, "alice", "c1", {"allowed_symbols": ["EURUSD"]})
    await accounts.follow_channel(world.deps, "alice", "c2", {"trading_hours": "12:00-13:00"})
    await world.say(GOLD_BUY, id=1, chat="c1")
    assert (await world.last("alice")).result.reason == "symbol_not_allowed"
    await world.say(GOLD_BUY, id=1, chat="c2")
    assert (await world.last("alice")).result.reason == "outside_trading_hours"
    assert await account.positions() == []


async def test_invalid_settings_name_the_field_and_change_nothing(world: World) -> None:
    await world.add_user("alice", lot="0.10")
    with pytest.raises(InvalidSettings, match="risk_percent"):
        await accounts.register_user(world.deps, "alice", Plan.PREMIUM, {"risk_percent": "99"})
    with pytest.raises(InvalidSettings, match="lot"):
        await accounts.follow_channel(world.deps, "alice", "c9", {"lot": "-1"})
    user = await world.store.get_user("alice")
    assert user is not None and user.settings["lot"] == "0.10"
    assert [s.chat_id for s in await world.store.subscriptions("alice")] == ["c1"]


async def test_tps_out_of_order_are_refused(world: World) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2660\nTP2 2655", id=1)
    assert (await world.last("alice")).result.reason == "tps_out_of_order"
    assert await account.positions() == []
