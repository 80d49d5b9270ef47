"""The cloud's broker events: the sweep publishes one poll per watched account to broker-events,
and whoever takes a poll reads that account's new deals and manages positions after them."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core import codec, ids
from signal_copier.core.errors import BrokerUnavailable, InvalidInput
from signal_copier.core.market import AccountPoll
from signal_copier.services import broker_events
from signal_copier.services.deps import BROKER_EVENTS_TOPIC, Timing, credentials_name
from signal_copier.services.polling import POLL_KIND, poll_publication, request_polls
from signal_copier.services.sweep import run_sweep
from world import World
from wrappers import Yielding

FAR_TP_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2700"  # open all day: its TP is far away


def _polls(world: World) -> list[AccountPoll]:
    return [codec.from_dict(AccountPoll, p) for p in world.queue.pending(BROKER_EVENTS_TOPIC)]


async def _managed(world: World, user_id: str) -> int:
    return len([r for r in await world.records(user_id) if r.intent.kind == "manage"])


async def test_a_tp1_hit_on_the_last_of_300_watched_accounts_is_managed_after_one_sweep(
    tmp_path: Path,
) -> None:
    # Arrange: 299 accounts hold a trade whose TP is far; the last one (by id) hits TP1
    world = World(tmp_path, poll_deals=True, timing=Timing(poll_page=64))  # 5 pages
    for n in range(299):
        await world.add_user(f"tg{n:03d}", chats=("c1",))
    last = await world.add_user("tg999", chats=("c2",), lot="0.20", breakeven_on_tp1=True)
    await world.say(FAR_TP_BUY, id=1, chat="c1")
    await world.say(GOLD_BUY, id=1, chat="c2")
    await world.prices(XAUUSD=("2655.5", "2655.8"))  # TP1 (2655) hit on the broker
    assert len(await world.store.watched(1000)) == 300

    # Act: one sweep publishes the polls; delivering them does the polling
    report = await run_sweep(world.pipeline.deps, world.later(61))
    polls = _polls(world)
    untouched = {p.sl for p in await last.positions()}
    await world.queue.drain()

    # Assert
    assert report.ok and report.counts["polls_published"] == 300
    assert sorted(p.user_id for p in polls)[-1] == "tg999" and len(polls) == 300
    assert untouched == {D("2640.00")}  # the sweep itself polled nothing
    (runner,) = await last.positions()
    assert runner.sl == D("2650.30")  # breakeven
    assert await _managed(world, "tg999") == 1


async def test_the_sweep_only_publishes_polls_and_never_calls_the_broker(tmp_path: Path) -> None:
    world = World(tmp_path, wrap=Hooked, poll_deals=True)
    for user in ("tg1", "tg2", "tg3"):
        await world.add_user(user)
    await world.say(GOLD_BUY, id=1)
    connects = world.broker.calls("connect")

    published = await request_polls(world.deps, world.later(61))

    assert published == 3 and world.broker.calls("connect") == connects
    polls = _polls(world)
    assert sorted(p.user_id for p in polls) == ["tg1", "tg2", "tg3"]
    minute = world.now.replace(second=0, microsecond=0)
    assert all(p.minute == minute for p in polls)  # every copy of this minute's poll is equal


# Spread over the id space as Telegram ids are, plus ids that sort before and after them all.
SPREAD = [ids.user_id(n * 387_420_489 % 9_000_000_000 + 10**8) for n in range(1, 24)]
WATCHED = sorted([*SPREAD, "a-local-user", "zz-local-user"])


async def _watch_all(world: World) -> None:
    for user_id in WATCHED:
        await world.store.watch(user_id, world.now, world.now)


async def test_every_minute_each_watched_account_gets_exactly_one_poll(tmp_path: Path) -> None:
    world = World(tmp_path, timing=Timing(poll_page=4))  # pages start where the minute says
    await _watch_all(world)

    for minute in range(12):
        before = len(_polls(world))
        count = await request_polls(world.deps, world.later(60 + minute))
        users = [p.user_id for p in _polls(world)][before:]

        assert count == len(WATCHED) and sorted(users) == WATCHED


async def test_a_step_out_of_time_leaves_different_accounts_each_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Arrange: no time at all: each sweep publishes one page, then stops
    world = World(tmp_path, timing=Timing(poll_page=4, poll_budget=timedelta(0)))
    await _watch_all(world)
    polled: set[str] = set()

    # Act
    with caplog.at_level(logging.ERROR):
        for _ in range(40):
            before = len(_polls(world))
            await request_polls(world.deps, world.later(60))
            polled.update(p.user_id for p in _polls(world)[before:])

    # Assert: never all in one minute, but no account is always the one left out
    assert polled == set(WATCHED)
    assert "budget ran out" in caplog.text


def test_a_poll_message_is_small_deterministic_and_marked_as_a_poll() -> None:
    from builders import NOW

    first = poll_publication("tg7", NOW - timedelta(minutes=3), NOW + timedelta(seconds=42))
    again = poll_publication("tg7", NOW - timedelta(minutes=3), NOW + timedelta(seconds=7))

    assert first == again  # same account, same minute: the same message
    assert first.attributes == {"kind": POLL_KIND, "user": "tg7"}
    assert set(first.payload) == {"user_id", "minute", "since"}


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
    assert await _managed(world, "alice") == 1


async def test_concurrent_and_redelivered_polls_of_one_account_act_on_each_event_once(
    tmp_path: Path,
) -> None:
    # Arrange: TP1 hit on two accounts; every poll is delivered three times, three at a time,
    # in random order, and every port call yields so the polls of one account interleave
    world = World(
        tmp_path,
        wrap=lambda paper: Hooked(Yielding(paper)),
        wrap_store=Yielding,
        poll_deals=True,
        concurrency=3,
        duplicates=3,
        seed=7,
    )
    alice = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    bob = await world.add_user("bob", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    modified = world.broker.calls("modify_position")

    # Act: two sweeps in the same minute (Cloud Scheduler ran it twice), then delivery
    await run_sweep(world.pipeline.deps, world.later(61))
    await run_sweep(world.pipeline.deps, world.now)
    await world.queue.drain()

    # Assert
    for account, user in ((alice, "alice"), (bob, "bob")):
        assert [p.sl for p in await account.positions()] == [D("2650.30")]
        assert await _managed(world, user) == 1
    assert world.broker.calls("modify_position") - modified == 2  # one per account
    assert world.queue.delivered >= 12 and world.queue.dead_lettered == 0
    assert world.queue.redelivered > 0  # some polls overlapped and were delivered again


async def test_a_poll_the_broker_cannot_answer_is_redelivered_and_the_cursor_stays(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, wrap=Hooked, poll_deals=True)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    [(_, cursor)] = await world.store.watched(10)
    world.broker.fail("history", nth=world.broker.calls("history") + 1, error=BrokerUnavailable())

    await world.settle(seconds=61)

    assert world.queue.redelivered == 1  # the failed poll came again, and then acted
    (runner,) = await account.positions()
    assert runner.sl == D("2650.30")
    [(_, moved)] = await world.store.watched(10)
    assert moved > cursor


async def test_a_poll_raises_retryable_when_the_broker_is_down(tmp_path: Path) -> None:
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    [(_, cursor)] = await world.store.watched(10)
    world.broker.fail("history", nth=world.broker.calls("history") + 1, error=BrokerUnavailable())
    poll = poll_publication("alice", cursor, world.now)

    with pytest.raises(BrokerUnavailable):
        await broker_events.handle_delivery(poll.payload, poll.attributes, world.deps, world.now)

    assert await world.store.watched(10) == [("alice", cursor)]


async def test_an_account_with_nothing_left_to_manage_is_no_longer_polled(tmp_path: Path) -> None:
    world = World(tmp_path, poll_deals=True)  # the broker reports nothing by itself
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    assert [user for user, _ in await world.store.watched(10)] == ["alice"]

    await world.say("Close all now", id=2, reply_to=1)
    await world.settle(seconds=61)
    assert len(await world.store.watched(10)) == 1  # a new trade may still be landing
    await world.settle(seconds=61)  # past Timing.watch_settled after the last opening

    assert await world.store.watched(10) == []


async def test_an_account_without_credentials_is_no_longer_polled(tmp_path: Path) -> None:
    world = World(tmp_path, poll_deals=True)
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.vault.delete(credentials_name("alice"))  # the user disconnected the account

    await world.settle(seconds=61)
    await world.settle(seconds=61)  # past Timing.watch_settled after the last opening

    assert await world.store.watched(10) == []
    assert world.queue.dead_lettered == 0


async def test_a_poll_older_than_its_expiry_is_acknowledged_without_reading_the_account(
    tmp_path: Path,
) -> None:
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    [(_, cursor)] = await world.store.watched(10)
    poll = poll_publication("alice", cursor, world.now)
    histories = world.broker.calls("history")

    outcome = await broker_events.handle_delivery(
        poll.payload, poll.attributes, world.deps, world.later(3 * 60)
    )

    assert outcome == "superseded"  # newer polls of this account were published since
    assert world.broker.calls("history") == histories


AT = "2026-01-05T09:00:00Z"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"user_id": "tg1", "minute": AT}, "since"),
        ({"user_id": "../tg1", "minute": AT, "since": AT}, "user_id"),
        ({"user_id": "tg1", "minute": "yesterday", "since": AT}, "minute"),
        ({"user_id": 7, "minute": AT, "since": AT}, "user_id"),
    ],
)
async def test_a_bad_poll_payload_is_refused_naming_the_field_and_changes_nothing(
    tmp_path: Path, payload: dict[str, object], field: str
) -> None:
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("tg1", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    watched, connects = await world.store.watched(10), world.broker.calls("connect")

    with pytest.raises(InvalidInput, match=field):
        await broker_events.handle_delivery(payload, {"kind": POLL_KIND}, world.deps, world.now)

    assert await world.store.watched(10) == watched
    assert world.broker.calls("connect") == connects


async def test_an_unknown_kind_on_broker_events_is_refused(tmp_path: Path) -> None:
    world = World(tmp_path)

    with pytest.raises(InvalidInput, match=r"attributes\.kind"):
        await broker_events.handle_delivery({}, {"kind": "pol"}, world.deps, world.now)


async def test_the_local_pipeline_drops_a_bad_poll_with_a_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    world = World(tmp_path, poll_deals=True)
    await world.queue.publish(BROKER_EVENTS_TOPIC, {"user_id": "tg1"}, attributes={"kind": "poll"})

    with caplog.at_level(logging.ERROR):
        await world.settle(seconds=61)

    assert world.queue.dead_lettered == 0 and world.queue.pending(BROKER_EVENTS_TOPIC) == []
    assert "AccountPoll" in caplog.text


async def test_two_polls_of_one_account_at_once_act_on_its_tp_hit_once(tmp_path: Path) -> None:
    # the broker reports nothing by itself; every port call yields, so the two polls interleave
    world = World(tmp_path, wrap=Yielding, wrap_store=Yielding, poll_deals=True)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    [(_, cursor)] = await world.store.watched(10)
    poll = poll_publication("alice", cursor, world.now)

    outcomes = await asyncio.gather(
        *(
            broker_events.handle_delivery(poll.payload, poll.attributes, world.deps, world.now)
            for _ in range(2)
        ),
        return_exceptions=True,
    )
    again = await broker_events.handle_delivery(
        poll.payload, poll.attributes, world.deps, world.now
    )  # the loser's redelivery

    # one acted; the other found the event's claim held and asks for redelivery
    assert sorted(str(o) if o == "polled" else type(o).__name__ for o in outcomes) == [
        "InFlight",
        "polled",
    ]
    assert again == "polled"
    assert [p.sl for p in await account.positions()] == [D("2650.30")]
    assert await _managed(world, "alice") == 1
