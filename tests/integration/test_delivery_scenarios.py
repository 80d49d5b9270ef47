"""Issue 7's cases of delivery in odd order, twice, concurrently or after a crash — each scenario
ends as it would have in order and once (numbers refer to the issue's list)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest

from builders import GOLD_BUY
from flaky import FlakyBroker
from signal_copier.core import codec, ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.market import Credentials
from signal_copier.core.model import Intent, IntentKind, Status
from signal_copier.core.records import Plan
from signal_copier.services import accounts, control
from signal_copier.services.accounts import AccountTaken
from signal_copier.services.deps import INTENTS_TOPIC
from signal_copier.services.pipeline import execute_intent, handle_message
from world import World
from wrappers import FailingStore, Yielding

TWO = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\n\nEURUSD SELL @ 1.0850\nSL 1.0880\nTP 1.0800"
EURO = "EURUSD SELL NOW @ 1.0850\nSL 1.0880\nTP 1.0800"


async def _volume(account: object, symbol: str | None = None) -> D:
    positions = await account.positions()  # type: ignore[attr-defined]
    return sum((p.volume for p in positions if symbol in (None, p.symbol)), D(0))


async def test_1_a_retry_after_the_kill_switch_sends_no_missing_leg(tmp_path: Path) -> None:
    async def kill() -> None:  # the user presses the kill switch while leg 1 is timing out
        await control.kill_switch(world.deps, "alice", world.now)

    world = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on={2}, on_fail=kill))
    account = await world.add_user("alice", lot="0.20")

    await world.say(GOLD_BUY, id=1)

    assert await account.positions() == [] and await account.orders() == []
    legs = {d.client_id for d in account.ledger.deals if not ids.is_close_tag(d.client_id)}
    assert legs == {f"{ids.client_id(_opening_id(world, 1))}.0"}  # leg 1 was never sent
    assert (await world.last("alice")).result.fills  # leg 0 stays on the record


async def test_3_a_reply_naming_a_symbol_closes_only_that_symbols_trade(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(TWO, id=1)

    await world.say("Close EURUSD", id=2, reply_to=1)

    assert {p.symbol for p in await account.positions()} == {"XAUUSD"}


async def test_4_a_late_bare_follow_up_acts_on_the_signal_it_followed(world: World) -> None:
    account = await world.add_user("alice", lot="0.40")
    gold = world.post(GOLD_BUY, id=1)
    euro = world.post(EURO, id=2)
    half = world.post("Close half", id=3)

    await world.deliver(gold, half, euro)  # the follow-up overtakes the signal it followed

    assert await _volume(account, "XAUUSD") == D("0.40")
    assert await _volume(account, "EURUSD") == D("0.20")


async def test_4_a_bare_follow_up_never_acts_on_a_signal_posted_after_it(world: World) -> None:
    account = await world.add_user("alice", lot="0.40")
    gold = world.post(GOLD_BUY, id=1)
    half = world.post("Close half", id=2)
    euro = world.post(EURO, id=3)

    await world.deliver(gold, euro, half)

    assert await _volume(account, "XAUUSD") == D("0.20")
    assert await _volume(account, "EURUSD") == D("0.40")


async def test_5_an_edit_seen_without_its_original_never_touches_another_signal(
    world: World,
) -> None:
    account = await world.add_user("alice")
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)

    await world.say("Signal cancelled", id=2, edited=True)  # message 2 itself was never seen
    await world.settle()

    assert [o.symbol for o in await account.orders()] == ["XAUUSD"]
    assert (await world.last("alice")).result.reason == "no_position"


async def test_6_a_reply_to_a_follow_up_acts_on_the_signal_it_was_about(world: World) -> None:
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=2)
    await world.say("Move SL to entry", id=3, reply_to=2)

    await world.say("Close it now", id=4, reply_to=3)

    assert await account.positions() == []


async def test_7a_a_failed_finish_after_placing_keeps_the_trade_recorded_and_managed(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, wrap_store=FailingStore)
    account = await world.add_user("alice", lot="0.20")
    world.store.fail("finish", after=False)  # orders placed, then recording them fails

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")
    assert record.result.status is Status.PLACED and len(record.result.fills) == 2
    assert len(await account.positions()) == 2  # placed once, adopted by the retry
    await world.say("Close now", id=2, reply_to=1)
    assert await account.positions() == []


async def test_7b_a_claim_whose_reply_was_lost_still_trades_exactly_once(tmp_path: Path) -> None:
    world = World(tmp_path, wrap_store=FailingStore)
    account = await world.add_user("alice", lot="0.20")
    world.store.fail("claim", after=True)  # the claim committed; the caller saw an error

    await world.say(GOLD_BUY, id=1)

    assert len(await account.positions()) == 2
    assert (await world.last("alice")).result.status is Status.PLACED


async def test_7c_a_leg_that_keeps_timing_out_is_recorded_with_the_leg_that_filled(
    tmp_path: Path,
) -> None:
    after_the_first = set(range(2, 100))  # leg 0 fills; every try of leg 1 times out
    world = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on=after_the_first))
    account = await world.add_user("alice", lot="0.20", max_signal_age_s=86_400)

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")  # the breaker paused the account: no more legs
    assert record.result.status is Status.PLACED and "sent no more" in record.result.notes[0]
    assert [f.leg for f in record.result.fills] == [0]  # the filled leg stays on the record
    await world.say("Close now", id=2, reply_to=1)
    assert await account.positions() == []  # ...and stays managed


async def test_7c_an_intent_past_its_attempt_limit_is_recorded_failed_with_its_filled_leg(
    tmp_path: Path,
) -> None:
    after_the_first = set(range(2, 100))
    world = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on=after_the_first))
    world.deps = world.pipeline.deps = replace(world.deps, breaker_threshold=1_000)
    account = await world.add_user("alice", lot="0.20", max_signal_age_s=86_400)

    await world.say(GOLD_BUY, id=1)

    record = await world.last("alice")
    assert record.result.status is Status.FAILED and record.result.reason == "retry"
    assert [f.leg for f in record.result.fills] == [0]
    await world.say("Close now", id=2, reply_to=1)
    assert await account.positions() == []


async def test_8_an_original_and_its_edit_handled_at_once_open_once(tmp_path: Path) -> None:
    world = World(tmp_path, wrap_store=Yielding, concurrency=4)
    account = await world.add_user("alice", lot="0.20")
    original = world.post(GOLD_BUY, id=1)
    edit = replace(
        world.post(GOLD_BUY.replace("SL 2640", "SL 2641"), id=1, edited=True),
        received=original.received,
    )

    await asyncio.gather(
        handle_message(original, world.deps, world.now), handle_message(edit, world.deps, world.now)
    )
    await world.queue.drain()

    assert await _volume(account) == D("0.20")
    assert {p.sl for p in await account.positions()} == {D("2641.00")}


async def test_14_two_edits_in_the_same_second_both_count_and_the_later_one_wins(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    first = world.post(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)
    second = replace(first, text=GOLD_BUY.replace("SL 2640", "SL 2646"))  # same edit second

    await world.deliver(first, second)

    assert first.version != second.version
    assert {p.sl for p in await account.positions()} == {D("2646.00")}


async def test_15_max_open_trades_holds_under_concurrent_openings(tmp_path: Path) -> None:
    world = World(tmp_path, wrap=Yielding, wrap_store=Yielding, concurrency=20)
    account = await world.add_user("alice", lot="0.01", max_open_trades=3)
    messages = [world.post(f"XAUUSD BUY NOW\nSL 2640\nTP 2660\n#{n}", id=n) for n in range(1, 21)]

    await asyncio.gather(*(handle_message(m, world.deps, world.now) for m in messages))
    await world.queue.drain()

    assert len(await account.positions()) == 3
    reasons = [r.result.reason for r in await world.records("alice")]
    assert reasons.count("max_open_trades") == 17


async def test_16_a_follow_up_that_arrives_before_its_signal_closes_it_after(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=5)
    close = world.post("Close now", id=6, reply_to=5)

    await world.deliver(close, signal)

    assert await account.positions() == []
    kinds = {r.intent.kind: r.result.status for r in await world.records("alice")}
    assert kinds == {IntentKind.OPEN: Status.PLACED, IntentKind.COMMAND: Status.APPLIED}


async def test_16_a_follow_up_whose_signal_never_arrives_is_no_position_after_its_bound(
    world: World,
) -> None:
    await world.add_user("alice")
    await world.deliver(world.post("Close now", id=6, reply_to=5))
    assert await world.records("alice") == []  # parked: acknowledged, not yet decided

    await world.settle()

    assert (await world.last("alice")).result.reason == "no_position"


async def test_an_edit_arriving_before_its_original_opens_once_with_the_edited_levels(
    world: World,
) -> None:
    account = await world.add_user("alice", lot="0.20")
    original = world.post(GOLD_BUY, id=1)
    edit = world.post(GOLD_BUY.replace("SL 2640", "SL 2642"), id=1, edited=True)

    await world.deliver(edit, original)

    assert await _volume(account) == D("0.20")
    assert {p.sl for p in await account.positions()} == {D("2642.00")}


async def test_a_signal_edited_to_cancelled_before_its_original_arrives_ends_cancelled(
    world: World,
) -> None:
    account = await world.add_user("alice")
    original = world.post("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    cancelled = world.post("Signal cancelled", id=1, edited=True)

    await world.deliver(cancelled, original, original)

    assert await account.orders() == [] and await account.positions() == []


async def test_a_free_plans_last_trades_go_to_the_signals_posted_first(tmp_path: Path) -> None:
    world = World(tmp_path, seed=7, max_duplicates=3)
    account = await world.add_user("alice", plan=Plan.FREE, lot="0.01")
    posted = [world.post(f"XAUUSD BUY NOW\nSL 2640\nTP 2660\n#{n}", id=n) for n in range(1, 13)]

    await world.deliver(*reversed(posted))

    placed = sorted(r.intent.message_id for r in await world.records("alice") if r.result.fills)
    assert placed == list(range(1, 11))
    assert len(await account.positions()) == 10


async def test_an_intent_for_a_chat_the_user_does_not_follow_opens_nothing(world: World) -> None:
    account = await world.add_user("bob", chats=("c2",))
    await world.add_user("alice")
    await world.say(GOLD_BUY, id=1)
    copied = _forge(await _published(world), user_id="bob", genuine=True)

    result = await execute_intent(copied, world.deps, world.now)

    assert result is not None and result.reason == "not_subscribed"
    assert await account.positions() == []


async def test_a_forged_intent_is_refused_and_trades_nothing(world: World) -> None:
    account = await world.add_user("bob", chats=("c2",))
    await world.add_user("alice")
    await world.say(GOLD_BUY, id=1)
    forged = _forge(await _published(world), user_id="bob", genuine=False)

    with pytest.raises(InvalidInput, match="does not match"):
        await execute_intent(forged, world.deps, world.now)
    assert await account.positions() == [] and await world.records("bob") == []


async def test_a_trading_account_belongs_to_one_user(world: World) -> None:
    await world.add_user("alice")
    await world.add_user("bob", connect=False)
    with pytest.raises(AccountTaken):
        await accounts.save_credentials(
            world.deps, "bob", Credentials(account_id="acc-alice", token="t0ken-bob")
        )


async def test_concurrent_follows_never_pass_the_free_plans_channel_limit(tmp_path: Path) -> None:
    world = World(tmp_path, wrap_store=Yielding)
    await world.add_user("alice", plan=Plan.FREE, chats=())
    follows = [accounts.follow_channel(world.deps, "alice", f"c{n}") for n in range(5)]

    done = await asyncio.gather(*follows, return_exceptions=True)

    assert sum(not isinstance(d, Exception) for d in done) == 2
    assert len(await world.store.subscriptions("alice")) == 2


async def test_registering_again_never_undoes_a_pause_written_meanwhile(world: World) -> None:
    await world.add_user("alice")
    await accounts.pause(world.deps, "alice", control.KILL_SWITCH, None)

    await accounts.register_user(world.deps, "alice", Plan.PREMIUM, {"lot": "0.05"})

    user = await world.store.get_user("alice")
    assert user is not None and user.paused_reason == "kill_switch"
    assert user.settings == {"lot": "0.05"}


async def test_an_intent_whose_worker_died_is_republished_by_the_sweep(tmp_path: Path) -> None:
    # Like the Pub/Sub emulator: it gives up redelivering before the dead worker's lease ends.
    world = World(tmp_path, max_attempts=2)
    account = await world.add_user("alice", lot="0.20")
    message = world.post(GOLD_BUY, id=1)
    await handle_message(message, world.deps, world.now)
    (intent,) = [codec.from_dict(Intent, p) for p in world.queue.pending(INTENTS_TOPIC)]
    await world.store.claim(intent, "a-worker-that-died", world.now, world.deps.lease)
    await world.pipeline.message(message, world.now)  # deliveries bounce off the live claim
    assert await account.positions() == [] and await world.records("alice") == []

    await world.settle(seconds=61)  # the lease ends; the sweep re-publishes it

    assert len(await account.positions()) == 2


def _opening_id(world: World, message_id: int, user: str = "alice") -> str:
    return ids.intent_id("c1", message_id, 0, user, 0)


async def _published(world: World) -> Intent:
    records = await world.records("alice")
    return records[0].intent


def _forge(intent: Intent, *, user_id: str, genuine: bool) -> Intent:
    forged = replace(intent, user_id=user_id)
    if genuine:  # a well-formed intent for a user who does not follow the chat
        return replace(
            forged,
            id=ids.intent_id(intent.chat_id, intent.message_id, intent.version, user_id, 0),
        )
    return forged  # another user's intent id with this user's name on it
