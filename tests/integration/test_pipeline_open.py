"""Opening signals end to end on the local adapters: sizing, mapping, guards, quota."""

from decimal import Decimal as D

import pytest

from builders import GOLD_BUY, NOW
from signal_copier.core.errors import QuotaExceeded
from signal_copier.core.market import Credentials
from signal_copier.core.model import Status
from signal_copier.core.quotas import period_key
from signal_copier.core.records import Plan
from signal_copier.services import accounts
from signal_copier.services.deps import Deps
from world import World


async def test_market_signal_opens_one_position_per_tp_for_each_subscriber(world: World) -> None:
    alice = await world.add_user("alice", lot="0.10")
    bob = await world.add_user("bob", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    alice_positions, bob_positions = await alice.positions(), await bob.positions()
    assert sorted(p.tp for p in alice_positions) == [D("2655.00"), D("2660.00")]
    assert sum(p.volume for p in alice_positions) == D("0.10")
    assert sum(p.volume for p in bob_positions) == D("0.20")
    assert {p.sl for p in alice_positions + bob_positions} == {D("2640.00")}


async def test_risk_percent_user_sizes_from_balance_and_sl_distance(world: World) -> None:
    bob = await world.add_user("bob", risk_mode="risk_percent", risk_percent="1")
    await world.say(GOLD_BUY, id=1)
    # 1% of 10,000 = 100 USD over 10.30 USD of SL distance × 100 oz → 0.097 → 0.09 lot
    assert sum(p.volume for p in await bob.positions()) == D("0.09")


async def test_broker_with_suffixed_symbols_gets_its_own_symbol_name(world: World) -> None:
    account = await world.add_user("bob", suffix=".m")
    await world.say(GOLD_BUY, id=1)
    assert {p.symbol for p in await account.positions()} == {"XAUUSD.m"}


async def test_mapping_to_a_missing_broker_symbol_is_skipped_with_the_reason(world: World) -> None:
    await world.add_user("alice", symbol_map={"XAUUSD": "GOLDX"})
    await world.say(GOLD_BUY, id=1)
    record = await world.last("alice")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "unknown_symbol")
    assert "GOLDX" in record.result.detail


async def test_a_mapping_changed_within_the_symbol_cache_minute_applies_to_the_next_signal(
    world: World,
) -> None:
    account = await world.add_user("bob", suffix=".m")
    await world.say(GOLD_BUY, id=1)  # resolved as XAUUSD.m, and the symbol list cached
    await accounts.register_user(
        world.deps,
        "bob",
        Plan.PREMIUM,
        {"max_signal_age_s": 120, "symbol_map": {"XAUUSD": "GOLDX"}},
    )

    await world.say(f"{GOLD_BUY}\n#2", id=2)  # a call of its own, not a repost

    record = await world.last("bob")
    assert (record.result.status, record.result.reason) == (Status.SKIPPED, "unknown_symbol")
    assert "GOLDX" in record.result.detail
    assert {p.symbol for p in await account.positions()} == {"XAUUSD.m"}


async def test_an_account_switched_by_another_process_is_traded_with_its_own_symbols(
    world: World,
) -> None:
    # The dashboard's instance saved the new account; this process still held the old one's
    # symbol list and specs for up to a minute, so gold went to "XAUUSD.m", a name the new
    # account lacks (or was sized with the old account's contract).
    await world.add_user("bob", suffix=".m")
    await world.say(GOLD_BUY, id=1)  # this process caches acc-bob's ".m" names and specs
    new = world.paper.open_account("acc-bob-2", balance=D(10_000))
    world.pipeline.add_owner("acc-bob-2", "bob")
    elsewhere = Deps(store=world.store, queue=world.queue, vault=world.vault, broker=world.broker)
    await accounts.save_credentials(elsewhere, "bob", Credentials(account_id="acc-bob-2"))

    await world.say(f"{GOLD_BUY}\n#2", id=2)  # a call of its own, not a repost

    record = await world.last("bob")
    assert record.result.status is Status.PLACED, record.result
    assert {p.symbol for p in await new.positions()} == {"XAUUSD"}


async def test_user_without_a_broker_account_is_skipped_and_keeps_quota(world: World) -> None:
    await world.add_user("alice", plan=Plan.FREE, connect=False)
    await world.say(GOLD_BUY, id=1)
    record = await world.last("alice")
    assert record.result.reason == "no_credentials"
    assert (await world.store.usage("alice", period_key(world.now))).used == 0


async def test_stale_signal_is_skipped(world: World) -> None:
    account = await world.add_user("alice", max_signal_age_s=60)
    world.later(600)
    await world.say(GOLD_BUY, id=1, date=NOW)
    assert (await world.last("alice")).result.reason == "stale_signal"
    assert await account.positions() == []


async def test_chatter_creates_no_intents_and_is_remembered_with_its_reason(world: World) -> None:
    await world.add_user("alice")
    record = await world.say("Good morning traders, analysis later today ☀️", id=1)
    assert record is not None and record.kind == "none"
    assert await world.records("alice") == []


async def test_sl_on_wrong_side_is_refused(world: World) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2660\nTP 2670", id=1)
    assert (await world.last("alice")).result.reason == "sl_wrong_side"
    assert await account.positions() == []


async def test_free_plan_trades_ten_a_day_then_counts_missed(world: World) -> None:
    account = await world.add_user("alice", plan=Plan.FREE)
    for n in range(12):
        await world.say(f"XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660\n#{n + 1}", id=n + 1)
    usage = await world.store.usage("alice", period_key(world.now))
    assert (usage.used, usage.missed) == (10, 2)
    assert len(await account.positions()) == 10
    assert (await world.last("alice")).result.reason == "quota"


async def test_trade_the_broker_refuses_gives_its_quota_back(world: World) -> None:
    await world.add_user("alice", plan=Plan.FREE, balance="100", lot="1")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660", id=1)  # margin 2,650 > 100 USD
    record = await world.last("alice")
    assert record.result.status is Status.REJECTED
    assert (await world.store.usage("alice", period_key(world.now))).used == 0


async def test_free_plan_follows_at_most_two_channels(world: World) -> None:
    await world.add_user("alice", plan=Plan.FREE, chats=("c1", "c2"))
    with pytest.raises(QuotaExceeded):
        await accounts.follow_channel(world.deps, "alice", "c3")


async def test_channel_override_beats_user_default(world: World) -> None:
    account = await world.add_user("alice", lot="0.10", chats=())
    await accounts.follow_channel(world.deps, "alice", "c1", {"lot": "0.04"})
    await world.say(GOLD_BUY, id=1)
    assert sum(p.volume for p in await account.positions()) == D("0.04")


async def test_price_far_from_entry_waits_as_a_limit_order(world: World) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY 2600\nSL 2590\nTP 2620", id=1)
    orders = await account.orders()
    assert [o.price for o in orders] == [D("2600.00")] and await account.positions() == []


async def test_max_open_trades_refuses_the_next_signal(world: World) -> None:
    await world.add_user("alice", max_open_trades=1)
    await world.say(GOLD_BUY, id=1)
    await world.say(f"{GOLD_BUY}\n#2", id=2)  # a call of its own, not a repost
    assert (await world.last("alice")).result.reason == "max_open_trades"
