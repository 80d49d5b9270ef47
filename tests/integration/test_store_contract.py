"""The Store contract: every store adapter must pass these (add a param to `store` per adapter).

The Firestore store runs on the emulator with a page size of 7, so every listing of more than
seven documents here crosses pages.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from signal_copier.core import history, ids
from signal_copier.core.errors import InvalidInput, StoreUnavailable
from signal_copier.core.model import (
    Fill,
    Intent,
    IntentKind,
    MessageKind,
    OrderRequest,
    OrderType,
    Parse,
    RawMessage,
    Side,
    Signal,
    Status,
    TradeResult,
)
from signal_copier.core.parsing import parse
from signal_copier.core.ports import Store
from signal_copier.core.records import (
    ClaimState,
    MessageRecord,
    ParkedIntent,
    Plan,
    Resizing,
    Subscription,
    TradeRecord,
    Usage,
    UserRecord,
)
from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.sqlite import SqliteStore

T = TypeVar("T")
NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)
PAGE = 7


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        async with SqliteStore(":memory:") as sqlite_store:
            yield sqlite_store
    else:
        emulators = request.getfixturevalue("firestore_emulator")
        async with FirestoreStore(emulators.project, page_size=PAGE) as firestore_store:
            yield firestore_store


def _intent(intent_id: str, user_id: str = "u1", message_id: int = 812) -> Intent:
    return Intent(
        id=intent_id,
        user_id=user_id,
        kind=IntentKind.COMMAND,
        chat_id="-100123",
        message_id=message_id,
        version=0,
        message_date=NOW,
        received=NOW,
    )


async def _remember(store: Store, record: MessageRecord) -> bool:
    """Store `record` unless its key is stored (the pipeline's builders decide more)."""

    def build(history: tuple[MessageRecord, ...]) -> MessageRecord | None:
        return None if any(h.key == record.key for h in history) else record

    done = await store.remember_message(record.chat_id, record.message_id, record.version, build)
    return done.fresh


def make_message(message_id: int = 812, version: int = 0, **changes: object) -> MessageRecord:
    fields: dict[str, object] = {
        "key": f"-100123:{message_id}:{version}",
        "chat_id": "-100123",
        "message_id": message_id,
        "version": version,
        "date": NOW,
        "kind": "open",
        "signals": (Signal(symbol="XAUUSD", side=Side.BUY, sl=Decimal("1920.50")),),
    }
    return MessageRecord(**{**fields, **changes})  # type: ignore[arg-type]


def make_trade(
    intent_id: str = "i1", user_id: str = "u1", signal_ref: str = "-100123:812", **changes: object
) -> TradeRecord:
    intent = Intent(
        id=intent_id,
        user_id=user_id,
        kind=IntentKind.OPEN,
        chat_id="-100123",
        message_id=812,
        version=0,
        message_date=NOW,
        received=NOW,
    )
    fill = Fill(client_id="sc1", order_id="7", position_id="7", volume=Decimal("0.10"), price=None)
    result = TradeResult(intent_id=intent_id, user_id=user_id, status=Status.PLACED, fills=(fill,))
    fields = {"intent": intent, "result": result, "signal_ref": signal_ref, "recorded_at": NOW}
    return TradeRecord(**{**fields, **changes})  # type: ignore[arg-type]


# Messages


async def test_remember_message_is_true_only_once(store: Store) -> None:
    assert await _remember(store, make_message()) is True
    assert await _remember(store, make_message(kind="none")) is False
    assert (await store.latest_message("-100123", 812)) == make_message()


async def test_latest_message_returns_the_highest_version(store: Store) -> None:
    for version in (0, 1767606000, 1767605000):
        await _remember(store, make_message(version=version, reason=str(version)))

    latest = await store.latest_message("-100123", 812)

    assert latest is not None
    assert latest.version == 1767606000


async def test_latest_message_before_a_version_returns_the_one_below(store: Store) -> None:
    for version in (0, 1767605000, 1767606000):
        await _remember(store, make_message(version=version))

    previous = await store.latest_message("-100123", 812, before=1767606000)
    first = await store.latest_message("-100123", 812, before=1767605000)

    assert previous is not None
    assert previous.version == 1767605000
    assert first is not None
    assert first.version == 0
    assert await store.latest_message("-100123", 812, before=0) is None


async def test_message_is_found_by_key(store: Store) -> None:
    await _remember(store, make_message(version=7))
    assert await store.message("-100123:812:7") == make_message(version=7)
    assert await store.message("-100123:812:0") is None


async def test_mark_fanned_out_updates_only_that_count(store: Store) -> None:
    await _remember(store, make_message())
    await store.mark_fanned_out("-100123:812:0", 3)
    await store.mark_fanned_out("-100123:999:0", 3)
    assert await store.message("-100123:812:0") == make_message(fanned_out=3)
    assert await store.message("-100123:999:0") is None


async def test_latest_message_of_an_unknown_message_is_none(store: Store) -> None:
    await _remember(store, make_message(message_id=1))
    assert await store.latest_message("-100123", 2) is None


async def test_messages_up_to_lists_the_chats_earlier_versions_newest_first(store: Store) -> None:
    for message_id, version in ((5, 0), (7, 0), (7, 1767606000), (9, 0), (12, 0)):
        await _remember(store, make_message(message_id=message_id, version=version))
    await _remember(
        store, replace(make_message(message_id=8), key="-100999:8:0", chat_id="-100999")
    )

    found = await store.messages_up_to("-100123", 11, limit=100)

    assert [(m.message_id, m.version) for m in found] == [(9, 0), (7, 1767606000), (7, 0), (5, 0)]
    assert [m.message_id for m in await store.messages_up_to("-100123", 12, limit=2)] == [12, 9]
    assert found[0] == make_message(message_id=9)


async def test_messages_up_to_stops_at_its_limit_across_pages(store: Store) -> None:
    for message_id in (*range(1, 21), 2**63 - 1):  # more than the Firestore store's page of 7
        await _remember(store, make_message(message_id=message_id))

    found = await store.messages_up_to("-100123", 19, limit=9)

    assert [m.message_id for m in found] == list(range(19, 10, -1))
    assert await store.messages_up_to("-100123", 0, limit=9) == []
    assert await store.messages_up_to("-100123", 19, limit=0) == []
    assert [m.message_id for m in await store.messages_up_to("-100123", 2**63 - 1, 1)] == [
        2**63 - 1
    ]


async def test_message_record_keeps_decimals_exactly(store: Store) -> None:
    await _remember(store, make_message())
    latest = await store.latest_message("-100123", 812)
    assert latest is not None
    assert latest.signal is not None
    assert str(latest.signal.sl) == "1920.50"


async def test_message_record_keeps_which_signal_each_part_is(store: Store) -> None:
    # An edit's signals keep their parts across versions (core/history.py): stored exactly.
    await _remember(store, make_message(version=5, parts=(2,), earlier_parts=(1, 2)))
    latest = await store.latest_message("-100123", 812)
    assert latest is not None
    assert (latest.parts, latest.earlier_parts) == ((2,), (1, 2))


# Users and subscriptions


async def test_user_round_trips_and_is_replaced(store: Store) -> None:
    user = UserRecord(user_id="u1", plan=Plan.PREMIUM, settings={"risk": {"percent": "1.5"}})
    await store.put_user(user)
    await store.put_user(UserRecord(user_id="u1", active=False))
    assert await store.get_user("u1") == UserRecord(user_id="u1", active=False)
    assert await store.get_user("nobody") is None
    await store.put_user(user)
    assert await store.get_user("u1") == user


async def test_subscriptions_are_indexed_both_ways(store: Store) -> None:
    await store.add_subscription(
        Subscription(user_id="u2", chat_id="c1", overrides={"lot": "1"}), None
    )
    await store.add_subscription(Subscription(user_id="u1", chat_id="c1"), None)
    await store.add_subscription(Subscription(user_id="u1", chat_id="c2"), None)

    assert [s.user_id for s in await store.subscribers("c1")] == ["u1", "u2"]
    assert [s.chat_id for s in await store.subscriptions("u1")] == ["c1", "c2"]
    assert (await store.subscribers("c1"))[1].overrides == {"lot": "1"}


async def test_add_subscription_of_a_followed_chat_replaces_overrides(store: Store) -> None:
    await store.add_subscription(Subscription(user_id="u1", chat_id="c1", overrides={"a": 1}), None)
    await store.add_subscription(Subscription(user_id="u1", chat_id="c1", overrides={"b": 2}), None)
    assert await store.subscribers("c1") == [
        Subscription(user_id="u1", chat_id="c1", overrides={"b": 2})
    ]


async def test_delete_subscription_stops_following(store: Store) -> None:
    await store.add_subscription(Subscription(user_id="u1", chat_id="c1"), None)
    await store.delete_subscription("u1", "c1")
    await store.delete_subscription("u1", "c1")
    assert await store.subscribers("c1") == []
    assert await store.subscriptions("u1") == []


# Claims


async def test_first_claim_is_new(store: Store) -> None:
    claim = await store.claim(_intent("i1"), "w1", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.NEW, 1)


async def test_second_claim_while_lease_live_is_busy(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    claim = await store.claim(_intent("i1"), "w2", NOW + LEASE - timedelta(microseconds=1), LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.BUSY, 1)


async def test_same_owner_claim_while_lease_live_is_busy(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    assert (await store.claim(_intent("i1"), "w1", NOW, LEASE)).state is ClaimState.BUSY


async def test_expired_claim_is_taken_over_as_retry(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    claim = await store.claim(_intent("i1"), "w2", NOW + LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 2)
    claim = await store.claim(_intent("i1"), "w3", NOW + 2 * LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 3)


async def test_finished_intent_is_done_forever(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.finish("i1", "w1", NOW)
    claim = await store.claim(_intent("i1"), "w2", NOW + 10 * LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.DONE, 1)


async def test_finish_by_an_owner_that_lost_the_lease_is_ignored(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.claim(_intent("i1"), "w2", NOW + LEASE, LEASE)
    await store.finish("i1", "w1", NOW + LEASE)
    assert (await store.claim(_intent("i1"), "w3", NOW + LEASE, LEASE)).state is ClaimState.BUSY


async def test_released_claim_is_retried_at_once(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    claim = await store.claim(_intent("i1"), "w2", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 2)


async def test_release_claim_by_another_owner_or_after_finish_is_ignored(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w2")
    assert (await store.claim(_intent("i1"), "w3", NOW, LEASE)).state is ClaimState.BUSY
    await store.finish("i1", "w1", NOW)
    await store.release_claim("i1", "w1")
    assert (await store.claim(_intent("i1"), "w3", NOW, LEASE)).state is ClaimState.DONE


async def test_released_owner_can_no_longer_finish(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    await store.finish("i1", "w1", NOW)
    assert (await store.claim(_intent("i1"), "w2", NOW, LEASE)).state is ClaimState.RETRY


async def test_finish_of_an_unclaimed_intent_is_ignored(store: Store) -> None:
    await store.finish("i1", "w1", NOW)
    assert (await store.claim(_intent("i1"), "w1", NOW, LEASE)).state is ClaimState.NEW


async def test_concurrent_claims_one_winner(store: Store) -> None:
    claims = await asyncio.gather(
        *(store.claim(_intent("i1"), f"w{n}", NOW, LEASE) for n in range(20))
    )
    states = [c.state for c in claims]
    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.BUSY) == 19


async def test_claim_with_naive_time_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await store.claim(_intent("i1"), "w1", datetime(2026, 1, 5), LEASE)


# Quota


async def test_quota_reservation_is_idempotent_per_intent(store: Store) -> None:
    assert await store.reserve_quota("u1", "2026-01-05", "i1", 1) is True
    assert await store.reserve_quota("u1", "2026-01-05", "i1", 1) is True
    assert await store.usage("u1", "2026-01-05") == Usage(period="2026-01-05", used=1)


async def test_quota_full_refuses_and_counts_nothing(store: Store) -> None:
    await store.reserve_quota("u1", "2026-01-05", "i1", 1)
    assert await store.reserve_quota("u1", "2026-01-05", "i2", 1) is False
    assert await store.usage("u1", "2026-01-05") == Usage(period="2026-01-05", used=1)


async def test_quota_limit_zero_refuses_the_first_trade(store: Store) -> None:
    assert await store.reserve_quota("u1", "2026-01-05", "i1", 0) is False
    assert await store.usage("u1", "2026-01-05") == Usage(period="2026-01-05")


async def test_quota_without_limit_always_reserves(store: Store) -> None:
    for n in range(15):
        assert await store.reserve_quota("u1", "2026-01-05", f"i{n}", None) is True
    assert (await store.usage("u1", "2026-01-05")).used == 15


async def test_release_returns_the_slot(store: Store) -> None:
    await store.reserve_quota("u1", "2026-01-05", "i1", 1)
    await store.release_quota("u1", "2026-01-05", "i1")
    await store.release_quota("u1", "2026-01-05", "i1")
    assert (await store.usage("u1", "2026-01-05")).used == 0
    assert await store.reserve_quota("u1", "2026-01-05", "i2", 1) is True


async def test_release_without_reservation_changes_nothing(store: Store) -> None:
    await store.reserve_quota("u1", "2026-01-05", "i1", None)
    await store.release_quota("u1", "2026-01-05", "other")
    assert (await store.usage("u1", "2026-01-05")).used == 1


async def test_missed_counts_once_per_intent(store: Store) -> None:
    for intent_id in ("i1", "i1", "i2"):
        await store.record_missed("u1", "2026-01-05", intent_id)
    assert await store.usage("u1", "2026-01-05") == Usage(period="2026-01-05", missed=2)


async def test_usage_is_per_user_and_period(store: Store) -> None:
    await store.reserve_quota("u1", "2026-01-05", "i1", 10)
    assert await store.usage("u1", "2026-01-06") == Usage(period="2026-01-06")
    assert await store.usage("u2", "2026-01-05") == Usage(period="2026-01-05")


async def test_concurrent_reservations_never_exceed_the_limit(store: Store) -> None:
    reserved = await asyncio.gather(
        *(store.reserve_quota("u1", "2026-01-05", f"i{n}", 10) for n in range(25))
    )
    assert reserved.count(True) == 10
    assert (await store.usage("u1", "2026-01-05")).used == 10


# Trades


async def test_save_trade_upserts_by_intent(store: Store) -> None:
    await store.save_trade(make_trade())
    failed = make_trade(result=TradeResult(intent_id="i1", user_id="u1", status=Status.FAILED))
    await store.save_trade(failed)
    assert await store.trade("u1", "i1") == failed
    assert await store.trades("u1") == [failed]


async def test_update_trade_changes_the_stored_record_not_a_stale_copy(store: Store) -> None:
    # Arrange: the sweep read a record with a due time; an edit then stored its new levels
    due = make_trade(due_at=NOW + timedelta(minutes=30))
    await store.save_trade(due)
    edited = replace(due, current=Signal(symbol="XAUUSD", side=Side.BUY, tps=(Decimal(2665),)))
    await store.save_trade(edited)

    # Act: the sweep clears the due time of the record it read
    changed = await store.update_trade("u1", "i1", lambda r: replace(r, due_at=None))
    missing = await store.update_trade("u1", "nope", lambda r: replace(r, due_at=None))

    # Assert: the edit's levels stay; the record is no longer due
    assert changed == replace(edited, due_at=None) == await store.trade("u1", "i1")
    assert missing is None and await store.trades_due(NOW + timedelta(days=1), 10) == []


async def test_a_resize_marker_is_kept_on_its_opening_until_it_is_dropped(store: Store) -> None:
    # Arrange: an opening whose waiting leg an edit is about to cancel and place again smaller
    await store.save_trade(make_trade())
    again = OrderRequest(
        client_id="sc0123456789abcdef01.0",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=Decimal("0.10"),
        price=Decimal("2645.00"),
        sl=Decimal("2635.00"),
        leg=0,
    )
    mark = Resizing(account_id="acc-1", order_id="o-7", again=again, since=NOW)

    # Act
    await store.update_trade("u1", "i1", lambda r: replace(r, resizing=(mark,)))
    marked = await store.trade("u1", "i1")
    await store.update_trade("u1", "i1", lambda r: replace(r, resizing=()))

    # Assert: read back exactly (a crashed worker's successor places `again` from it), then gone
    assert marked is not None and marked.resizing == (mark,)
    assert await store.trade("u1", "i1") == make_trade()


async def test_unknown_trade_is_none(store: Store) -> None:
    await store.save_trade(make_trade(user_id="u2"))
    assert await store.trade("u1", "i1") is None


async def test_trades_are_ordered_by_recorded_at_then_insertion(store: Store) -> None:
    later = NOW + timedelta(microseconds=500)
    await store.save_trade(make_trade("late", recorded_at=later))
    await store.save_trade(make_trade("b", recorded_at=NOW))
    await store.save_trade(make_trade("a", recorded_at=NOW))
    await store.save_trade(make_trade("b", recorded_at=NOW))  # an update keeps its place
    assert [t.intent.id for t in await store.trades("u1")] == ["b", "a", "late"]


async def test_trades_filter_by_signal(store: Store) -> None:
    await store.save_trade(make_trade("i1", signal_ref="c:1"))
    await store.save_trade(make_trade("i2", signal_ref="c:2"))
    await store.save_trade(make_trade("i3", user_id="u2", signal_ref="c:1"))
    assert [t.intent.id for t in await store.trades("u1", "c:1")] == ["i1"]
    assert len(await store.trades("u1")) == 2


async def test_trades_by_client_finds_the_records_behind_live_orders(store: Store) -> None:
    first, second = make_trade("i1"), make_trade("i2")
    await store.save_trade(first)
    await store.save_trade(second)
    await store.save_trade(make_trade("i1", user_id="u2"))
    found = await store.trades_by_client("u1", [second.intent.client_id, "sc-unknown"])
    assert [t.intent.id for t in found] == ["i2"]
    assert await store.trades_by_client("u1", []) == []


# What a document store makes hard: pages, `in` chunks, stored order, ids, contention.
# (PAGE is the Firestore store's page size here: these listings cross several pages.)


async def until_answered(call: Callable[[], Awaitable[T]]) -> T:
    """Call again while the store says StoreUnavailable, as the queue redelivers (bounded)."""
    for _ in range(30):
        try:
            return await call()
        except StoreUnavailable:
            await asyncio.sleep(0.05)
    raise AssertionError("the store stayed unavailable through 30 redeliveries")


async def test_subscribers_and_subscriptions_are_listed_in_id_order_across_pages(
    store: Store,
) -> None:
    users = [f"tg{n}" for n in random.Random(1).sample(range(100, 999), 3 * PAGE + 2)]
    chats = [f"-100{n}" for n in random.Random(2).sample(range(100, 999), 2 * PAGE + 1)]
    for user_id in users:
        await store.add_subscription(Subscription(user_id=user_id, chat_id="-1001"), None)
    for chat_id in chats:
        await store.add_subscription(Subscription(user_id="tg1", chat_id=chat_id), None)

    assert [s.user_id for s in await store.subscribers("-1001")] == sorted(users)
    assert [s.chat_id for s in await store.subscriptions("tg1")] == sorted(chats)


async def test_a_full_page_of_subscribers_ends_without_a_phantom_page(store: Store) -> None:
    for n in range(PAGE):
        await store.add_subscription(Subscription(user_id=f"tg{n}", chat_id="@gold"), None)
    assert len(await store.subscribers("@gold")) == PAGE
    await store.delete_subscription("tg0", "@gold")
    assert [s.user_id for s in await store.subscribers("@gold")] == [
        f"tg{n}" for n in range(1, PAGE)
    ]


@pytest.mark.parametrize(
    "chat_id", ["-1001234567890", "@gold_signals", "a/b", "..", "__x__", "50%", "a%2Fb", "ü 𝄞"]
)
async def test_any_chat_or_user_id_round_trips_without_colliding(
    store: Store, chat_id: str
) -> None:
    # '/' and '%2F' must stay two ids: a document id encoding has to be injective.
    await store.add_subscription(
        Subscription(user_id=chat_id, chat_id=chat_id, overrides={"k": 1}), None
    )
    await store.add_subscription(Subscription(user_id="tg1", chat_id=f"{chat_id}/x"), None)
    assert await store.subscribers(chat_id) == [
        Subscription(user_id=chat_id, chat_id=chat_id, overrides={"k": 1})
    ]
    assert [s.chat_id for s in await store.subscriptions(chat_id)] == [chat_id]
    await store.put_user(UserRecord(user_id=chat_id))
    assert await store.get_user(chat_id) == UserRecord(user_id=chat_id)


async def test_trades_are_oldest_first_across_pages_whatever_the_insertion_order(
    store: Store,
) -> None:
    order = random.Random(3).sample(range(3 * PAGE), 3 * PAGE)
    for n in order:
        when = None if n == 0 else NOW + timedelta(seconds=n)
        await store.save_trade(make_trade(f"i{n:02}", recorded_at=when, signal_ref=f"c:{n % 2}"))

    assert [t.intent.id for t in await store.trades("u1")] == [f"i{n:02}" for n in range(3 * PAGE)]
    evens = [t.intent.id for t in await store.trades("u1", "c:0")]
    assert evens == [f"i{n:02}" for n in range(0, 3 * PAGE, 2)]


async def test_trades_by_more_than_thirty_client_ids_are_all_found_oldest_first(
    store: Store,
) -> None:
    order = random.Random(4).sample(range(40), 40)
    records = {n: make_trade(f"i{n:02}", recorded_at=NOW + timedelta(seconds=n)) for n in order}
    for n in order:
        await store.save_trade(records[n])
    asked = [records[n].intent.client_id for n in range(35)] + ["sc000000000000000000"]

    found = await store.trades_by_client("u1", asked * 2)

    assert [t.intent.id for t in found] == [f"i{n:02}" for n in range(35)]


async def test_a_record_saved_again_keeps_its_place_among_records_of_the_same_instant(
    store: Store,
) -> None:
    for intent_id in ("c", "a", "b"):
        await store.claim(_intent(intent_id), "w1", NOW, LEASE)
        await store.save_trade(make_trade(intent_id))
    await store.finish("c", "w1", NOW, make_trade("c", broker_symbol="XAUUSD.m"))
    await store.save_trade(make_trade("a", broker_symbol="XAUUSD.m"))
    assert [t.intent.id for t in await store.trades("u1")] == ["c", "a", "b"]
    assert (await store.trade("u1", "c")) == make_trade("c", broker_symbol="XAUUSD.m")


async def test_concurrent_quota_changes_end_in_a_retry_or_an_exact_count(store: Store) -> None:
    period = "2026-01-05"
    calls = [lambda n=n: store.reserve_quota("u1", period, f"i{n}", 5) for n in range(9)]
    calls += [lambda n=n: store.record_missed("u1", period, f"m{n % 3}") for n in range(6)]
    calls += [lambda: store.release_quota("u1", period, "never-reserved")]

    results = await asyncio.gather(*(until_answered(call) for call in calls))

    assert results[:9].count(True) == 5
    assert await store.usage("u1", period) == Usage(period=period, used=5, missed=3)


async def test_concurrent_user_updates_are_never_lost(store: Store) -> None:
    await store.put_user(UserRecord(user_id="u1"))

    def bump(user: UserRecord) -> UserRecord:
        return replace(user, broker_failures=user.broker_failures + 1)

    await asyncio.gather(*(until_answered(lambda: store.update_user("u1", bump)) for _ in range(8)))

    user = await store.get_user("u1")
    assert user is not None
    assert user.broker_failures == 8
    assert await store.update_user("nobody", bump) is None


async def test_user_settings_keep_decimals_and_times_exactly(store: Store) -> None:
    until = datetime(2026, 1, 5, 9, 30, 0, 123456, tzinfo=UTC)
    user = UserRecord(
        user_id="u1",
        paused_until=until,
        settings={"lot": "0.01", "risk": {"percent": "1.25", "tp_split": ["1", "2"]}, "on": True},
    )
    await store.put_user(user)
    assert await store.get_user("u1") == user


async def test_parked_intents_and_claim_states_are_complete_across_pages(store: Store) -> None:
    count = 2 * PAGE + 1
    order = random.Random(5).sample(range(count), count)
    for n in order:
        intent = _intent(f"p{n:02}", user_id=f"u{n % 2}")
        await store.claim(intent, "w", NOW, LEASE)
        until = NOW + (count - n) * LEASE  # the last parked has the earliest bound
        await store.park(ParkedIntent(intent=intent, awaiting=811, until=until), "w")
    ids = [f"p{n:02}" for n in range(count)]

    parked = [i.id for i in await store.parked_on("-100123", 811)]
    states = await store.claim_states([*ids, "never-claimed"])

    assert parked == ids[::-1]
    odd = [i for i in ids[::-1] if int(i[1:]) % 2]
    assert [i.id for i in await store.parked_on("-100123", 811, "u1")] == odd
    assert states == dict.fromkeys(ids, ClaimState.PARKED)
    assert [i.id for i in await store.due_parked(NOW + 2 * LEASE, count)] == ids[::-1][:2]


# SQLite only: files, processes, locking and corrupt rows.


async def test_two_connections_same_file_see_one_claim(tmp_path: Path) -> None:
    path = str(tmp_path / "nested" / "copier.db")
    async with SqliteStore(path) as first, SqliteStore(path) as second:
        claims = [
            await first.claim(_intent("i1"), "w1", NOW, LEASE),
            await second.claim(_intent("i1"), "w2", NOW, LEASE),
        ]
        await first.finish("i1", "w1", NOW)
        assert [c.state for c in claims] == [ClaimState.NEW, ClaimState.BUSY]
        assert (await second.claim(_intent("i1"), "w3", NOW, LEASE)).state is ClaimState.DONE


def test_claims_from_threads_on_two_connections_one_winner(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    stores = [SqliteStore(path), SqliteStore(path)]

    def claim(n: int) -> ClaimState:
        return asyncio.run(stores[n % 2].claim(_intent("i1"), f"w{n}", NOW, LEASE)).state

    with ThreadPoolExecutor(max_workers=8) as pool:
        states = list(pool.map(claim, range(40)))
    for store in stores:
        store.close()

    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.BUSY) == 39


async def test_two_stores_on_one_file_never_read_each_others_writes_stale(
    tmp_path: Path,
) -> None:
    # The local process and `serve` each keep decoded records: a write by one is read back
    # by the other at once, trades, fan-out counts and intents alike.
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path) as reader, SqliteStore(path) as writer:
        await writer.save_trade(make_trade("i1"))
        await _remember(writer, make_message())
        first = (await reader.trade("u1", "i1"), await reader.message("-100123:812:0"))
        skipped = TradeResult(intent_id="i1", user_id="u1", status=Status.SKIPPED)
        await writer.save_trade(make_trade("i1", result=skipped))
        await writer.mark_fanned_out("-100123:812:0", 3)

        trade, message = await reader.trade("u1", "i1"), await reader.message("-100123:812:0")
        listed = await reader.trades("u1")

    assert first[0] is not None and first[0].result.status is Status.PLACED
    assert first[1] is not None and first[1].fanned_out == -1
    assert trade is not None and trade.result.status is Status.SKIPPED
    assert [t.result.status for t in listed] == [Status.SKIPPED]
    assert message is not None and message.fanned_out == 3


async def test_file_store_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path) as store:
        await store.reserve_quota("u1", "2026-01-05", "i1", 10)
    async with SqliteStore(path) as store:
        assert (await store.usage("u1", "2026-01-05")).used == 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(2,)]


async def test_locked_database_raises_store_unavailable(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path, busy_timeout=0.05) as store:
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreUnavailable):
                await store.claim(_intent("i1"), "w1", NOW, LEASE)
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        assert (await store.claim(_intent("i1"), "w1", NOW, LEASE)).state is ClaimState.NEW


async def test_a_failing_step_writes_nothing_raises_unchanged_and_frees_the_store(
    tmp_path: Path,
) -> None:
    async with SqliteStore(str(tmp_path / "copier.db")) as store:

        def broken(history: tuple[MessageRecord, ...]) -> MessageRecord:
            raise RuntimeError("a bug in the builder")

        with pytest.raises(RuntimeError, match="a bug in the builder"):
            await store.remember_message("-100123", 7, 0, broken)

        assert await store.latest_message("-100123", 7) is None
        assert (await store.claim(_intent("i1"), "w1", NOW, LEASE)).state is ClaimState.NEW


async def test_a_step_failing_after_a_write_undoes_that_write(tmp_path: Path) -> None:
    async with SqliteStore(str(tmp_path / "copier.db")) as store:
        await store.claim(_intent("i1"), "w1", NOW, LEASE)
        naive = replace(make_trade("i1"), recorded_at=datetime(2026, 1, 5, 9))

        with pytest.raises(InvalidInput):  # after the claim was marked done, in one transaction
            await store.finish("i1", "w1", NOW, naive)

        assert await store.claim_states(["i1"]) == {"i1": ClaimState.BUSY}
        assert await store.finish("i1", "w1", NOW, make_trade("i1"))


async def test_corrupt_row_raises_store_corrupt(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path) as store:
        with sqlite3.connect(path) as raw:
            raw.execute("INSERT INTO users VALUES ('u1', '{not json')")
            raw.execute("INSERT INTO users VALUES ('u2', '{\"plan\": \"gold\"}')")
        with pytest.raises(StoreCorrupt, match="users"):
            await store.get_user("u1")
        with pytest.raises(StoreCorrupt, match="plan"):
            await store.get_user("u2")


async def test_closed_store_refuses_calls() -> None:
    store = SqliteStore(":memory:")
    store.close()
    store.close()
    with pytest.raises(RuntimeError, match="closed"):
        await store.get_user("u1")


async def test_background_checkpoint_keeps_the_wal_bounded(tmp_path: Path) -> None:
    # Automatic checkpoints are off on the write path; without the background thread the
    # WAL would double with the second batch.
    path = tmp_path / "copier.db"
    wal = tmp_path / "copier.db-wal"
    async with SqliteStore(str(path), checkpoint_every=0.02) as store:
        sizes = []
        for batch in range(2):
            before = _size(path)
            for n in range(300):
                await store.save_trade(make_trade(f"i{batch}-{n}"))
            await _checkpointed(path, before)
            sizes.append(wal.stat().st_size)
        assert sizes[1] < sizes[0] * 1.5
        assert len(await store.trades("u1")) == 600


def _size(path: Path) -> int:
    return path.stat().st_size


async def _checkpointed(path: Path, before: int) -> None:
    # The batch's pages reach the database file only by a checkpoint: wait for the thread's
    # (however loaded the machine), then until the file has stopped growing for a while (the
    # copy finished: on a loaded machine one more round is not always enough).
    for _ in range(600):
        if _size(path) > before:
            break
        await asyncio.sleep(0.05)
    steady, last = 0, _size(path)
    for _ in range(600):
        await asyncio.sleep(0.05)
        steady, last = (steady + 1, last) if _size(path) == last else (0, _size(path))
        if steady == 6:
            break


async def test_finish_stores_the_record_only_for_the_claims_owner(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.finish("i1", "w2", NOW, make_trade("i1"))  # not the owner: nothing happens
    assert await store.trade("u1", "i1") is None
    assert (await store.claim(_intent("i1"), "w3", NOW, LEASE)).state is ClaimState.BUSY
    await store.finish("i1", "w1", NOW, make_trade("i1"))
    assert (await store.trade("u1", "i1")) is not None
    assert (await store.claim(_intent("i1"), "w3", NOW, LEASE)).state is ClaimState.DONE


# The history step (one transaction per chat and message)


async def test_remember_message_gives_the_builder_every_stored_version(store: Store) -> None:
    for version in (0, 5):
        await _remember(store, make_message(version=version))
    seen: list[tuple[int, ...]] = []

    def build(history: tuple[MessageRecord, ...]) -> MessageRecord:
        seen.append(tuple(h.version for h in history))
        return make_message(version=9, reason="built")

    done = await store.remember_message("-100123", 812, 9, build)

    assert seen[-1] == (0, 5)
    assert (done.fresh, done.record) == (True, make_message(version=9, reason="built"))
    assert [h.version for h in done.history] == [0, 5]


async def test_builder_returning_none_writes_nothing_and_returns_the_stored_version(
    store: Store,
) -> None:
    await _remember(store, make_message())
    done = await store.remember_message("-100123", 812, 0, lambda history: None)
    assert (done.fresh, done.record) == (False, make_message())
    assert (await store.remember_message("-100123", 812, 3, lambda h: None)).record is None


async def test_builder_may_replace_the_version_with_its_key(store: Store) -> None:
    await _remember(store, make_message(version=4, kind="none"))
    done = await store.remember_message(
        "-100123", 812, 4, lambda history: make_message(version=4, kind="open")
    )
    assert done.fresh
    assert (await store.message("-100123:812:4")) == make_message(version=4, kind="open")


async def test_a_builder_for_another_key_is_refused(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await store.remember_message("-100123", 812, 1, lambda history: make_message(version=2))


async def test_concurrent_history_steps_of_one_message_never_both_see_an_empty_history(
    store: Store,
) -> None:
    async def remember(version: int) -> None:
        def build(history: tuple[MessageRecord, ...]) -> MessageRecord:
            # What was stored is what the step that committed saw (a re-run may repeat it).
            return make_message(version=version, reason="first" if not history else "later")

        await store.remember_message("-100123", 812, version, build)

    await asyncio.gather(*(remember(v) for v in (0, 7, 8)))

    stored = [await store.message(f"-100123:812:{v}") for v in (0, 7, 8)]
    assert sorted(m.reason for m in stored if m is not None) == ["first", "later", "later"]


def _raw(kind: MessageKind = MessageKind.MESSAGE) -> RawMessage:
    text = "" if kind is MessageKind.DELETION else "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660"
    return RawMessage(
        chat_id="-100123", message_id=812, text=text, date=NOW, received=NOW, kind=kind
    )


async def _history_step(store: Store, message: RawMessage) -> MessageRecord | None:
    # The pipeline's own step: history.new_record decides inside the store's transaction.
    parsed = Parse() if message.deleted else parse(message.text)
    done = await store.remember_message(
        message.chat_id,
        message.message_id,
        message.version,
        lambda stored: history.new_record(message, parsed, stored, LEASE),
    )
    return done.record if done.fresh else None


async def test_a_deletion_stored_first_supersedes_its_message_and_is_its_latest_version(
    store: Store,
) -> None:
    tombstone = await _history_step(store, _raw(MessageKind.DELETION))
    original = await _history_step(store, _raw())

    assert tombstone is not None and tombstone.wait_until is None
    assert original is not None and original.superseded
    assert await store.latest_message("-100123", 812) == tombstone
    assert await store.message(ids.message_key("-100123", 812, ids.DELETED_VERSION)) == tombstone
    assert await _history_step(store, _raw(MessageKind.DELETION)) is None  # a redelivery


async def test_a_deletion_racing_its_message_either_saw_it_or_superseded_it(
    store: Store,
) -> None:
    deletion, original = await asyncio.gather(
        _history_step(store, _raw(MessageKind.DELETION)), _history_step(store, _raw())
    )

    assert deletion is not None and original is not None
    # Exactly one of them saw the other, never neither: the message opens only if the deletion
    # will cancel it.
    assert bool(deletion.earlier_signals) != original.superseded


async def test_a_reentrys_deletion_is_stored_knowing_it_took_back_a_reentry(
    store: Store,
) -> None:
    # Its tombstone fans out the DELETE that takes back the re-entry's trade (core/fanout.py).
    again = replace(_raw(), text="Add more at 2645", reply_to=811)
    await _history_step(store, again)

    tombstone = await _history_step(store, _raw(MessageKind.DELETION))

    assert tombstone is not None and tombstone.earlier_reentry
    assert await store.latest_message("-100123", 812) == tombstone


async def test_waiting_messages_are_listed_when_their_wait_ends(store: Store) -> None:
    waiting = make_message(version=7, wait_until=NOW + LEASE)
    await _remember(store, waiting)
    await _remember(store, make_message(message_id=9))

    assert await store.waiting_messages(NOW, 10) == []
    assert await store.waiting_messages(NOW + LEASE, 10) == [waiting]

    await store.remember_message("-100123", 812, 7, lambda h: make_message(version=7))
    assert await store.waiting_messages(NOW + LEASE, 10) == []


# Users, subscriptions, accounts


async def test_create_user_never_overwrites(store: Store) -> None:
    assert await store.create_user(UserRecord(user_id="u1", plan=Plan.PREMIUM)) is True
    assert await store.create_user(UserRecord(user_id="u1")) is False
    assert (await store.get_user("u1")) == UserRecord(user_id="u1", plan=Plan.PREMIUM)


async def test_add_subscription_respects_the_limit_and_keeps_since(store: Store) -> None:
    first = Subscription(user_id="u1", chat_id="c1", since=NOW)
    assert await store.add_subscription(first, 2) is True
    assert await store.add_subscription(Subscription(user_id="u1", chat_id="c2"), 2) is True
    assert await store.add_subscription(Subscription(user_id="u1", chat_id="c3"), 2) is False
    changed = Subscription(user_id="u1", chat_id="c1", overrides={"lot": "1"}, since=NOW + LEASE)
    assert await store.add_subscription(changed, 2) is True  # already followed: overrides change
    assert await store.subscription("u1", "c1") == Subscription(
        user_id="u1", chat_id="c1", overrides={"lot": "1"}, since=NOW
    )
    assert await store.subscription("u1", "c3") is None


async def test_concurrent_follows_never_pass_the_limit(store: Store) -> None:
    added = await asyncio.gather(
        *(store.add_subscription(Subscription(user_id="u1", chat_id=f"c{n}"), 2) for n in range(6))
    )
    assert added.count(True) == 2
    assert len(await store.subscriptions("u1")) == 2


async def test_a_broker_account_belongs_to_one_user(store: Store) -> None:
    assert await store.claim_account("acc-1", "u1") is True
    assert await store.claim_account("acc-1", "u1") is True
    assert await store.claim_account("acc-1", "u2") is False
    assert await store.account_owner("acc-1") == "u1"
    await store.release_account("acc-1", "u2")  # not the owner: nothing happens
    assert await store.account_owner("acc-1") == "u1"
    await store.release_account("acc-1", "u1")
    assert await store.account_owner("acc-1") is None
    assert await store.claim_account("acc-1", "u2") is True


# Claims: payloads, parking, attempts, expiry, failures


async def test_expired_claims_return_the_stored_intent(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.claim(_intent("i2"), "w1", NOW + LEASE, LEASE)
    await store.claim(_intent("i3"), "w1", NOW, LEASE)
    await store.finish("i3", "w1", NOW)

    assert await store.expired_claims(NOW + LEASE - timedelta(microseconds=1), 10) == []
    assert await store.expired_claims(NOW + LEASE, 10) == [_intent("i1")]


async def test_expired_claims_leave_management_out_and_fill_the_limit_with_the_rest(
    store: Store,
) -> None:
    # Arrange: three management claims expired first, then two of every kind the topic carries
    kinds = [IntentKind.OPEN, IntentKind.COMMAND, IntentKind.EDIT, IntentKind.DELETE]
    for n in range(3):
        managed = replace(_intent(f"m{n}"), kind=IntentKind.MANAGE)
        await store.claim(managed, "w1", NOW, LEASE)
    for n, kind in enumerate(kinds):
        await store.claim(
            replace(_intent(f"i{n}"), kind=kind), "w1", NOW + timedelta(seconds=n), LEASE
        )

    # Act
    expired = await store.expired_claims(NOW + 2 * LEASE, 3)

    # Assert: the first three the sweep can re-publish, earliest lease first
    assert [(i.id, i.kind) for i in expired] == [(f"i{n}", kinds[n]) for n in range(3)]


async def test_a_released_claim_is_expired_at_once(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    assert await store.expired_claims(NOW, 10) == [_intent("i1")]


async def test_parking_ends_the_lease_and_the_rerun_is_new_without_an_attempt(
    store: Store,
) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    parked = ParkedIntent(intent=_intent("i1"), awaiting=811, until=NOW + LEASE)

    assert await store.park(parked, "w2") is False  # only the owner may park
    assert await store.park(parked, "w1") is True

    assert await store.claim_states(["i1", "i9"]) == {"i1": ClaimState.PARKED}
    assert await store.parked_on("-100123", 811) == [_intent("i1")]
    claim = await store.claim(_intent("i1"), "w2", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.NEW, 1)
    assert await store.expired_claims(NOW, 10) == []


async def test_a_parked_intent_finished_by_its_rerun_is_parked_no_more(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)  # its first claim
    await store.park(ParkedIntent(intent=_intent("i1"), awaiting=811, until=NOW), "w1")
    await store.claim(_intent("i1"), "w2", NOW, LEASE)
    await store.claim(_intent("i2"), "w3", NOW, LEASE)  # never parked

    assert await store.finish("i1", "w1", NOW) is False  # parking ended w1's claim
    assert await store.finish("i1", "w2", NOW) is True
    assert await store.finish("i2", "w3", NOW) is True

    assert await store.parked_on("-100123", 811) == []
    assert await store.due_parked(NOW + LEASE, 10) == []
    assert await store.claim_states(["i1", "i2"]) == {"i1": ClaimState.DONE, "i2": ClaimState.DONE}


async def test_an_owner_that_claims_a_parked_intent_again_finishes_it_unparked(
    store: Store,
) -> None:
    # Owners are new per attempt in the services; the store does not count on it.
    await store.claim(_intent("i1"), "w1", NOW, LEASE)  # its first claim
    await store.claim(_intent("i1"), "w2", NOW + 2 * LEASE, LEASE)  # w1's lease ran out
    await store.park(ParkedIntent(intent=_intent("i1"), awaiting=811, until=NOW), "w2")
    await store.claim(_intent("i1"), "w1", NOW + 2 * LEASE, LEASE)

    assert await store.finish("i1", "w1", NOW + 2 * LEASE) is True
    assert await store.parked_on("-100123", 811) == []


async def test_a_parked_retry_is_rerun_as_a_retry(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    await store.claim(_intent("i1"), "w2", NOW, LEASE)
    await store.park(ParkedIntent(intent=_intent("i1"), awaiting=811, until=NOW), "w2")
    claim = await store.claim(_intent("i1"), "w3", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 2)


async def test_parked_intents_are_found_by_target_and_user_and_by_bound(store: Store) -> None:
    for intent_id, user, awaiting, wait in (
        ("a", "u1", 811, 1),
        ("b", "u2", 811, 2),
        ("c", "u1", 700, 3),
    ):
        intent = _intent(intent_id, user_id=user)
        await store.claim(intent, "w", NOW, LEASE)
        until = NOW + wait * LEASE
        await store.park(ParkedIntent(intent=intent, awaiting=awaiting, until=until), "w")

    assert [i.id for i in await store.parked_on("-100123", 811)] == ["a", "b"]
    assert [i.id for i in await store.parked_on("-100123", 811, "u2")] == ["b"]
    assert [i.id for i in await store.due_parked(NOW + 2 * LEASE, 10)] == ["a", "b"]
    assert [i.id for i in await store.due_parked(NOW + 9 * LEASE, 1)] == ["a"]


async def test_finishing_a_parked_intent_removes_its_entry(store: Store) -> None:
    intent = _intent("i1")
    await store.claim(intent, "w1", NOW, LEASE)
    await store.park(ParkedIntent(intent=intent, awaiting=811, until=NOW), "w1")
    await store.claim(intent, "w2", NOW, LEASE)
    assert await store.finish("i1", "w2", NOW) is True
    assert await store.parked_on("-100123", 811) == []
    assert await store.due_parked(NOW, 10) == []
    assert await store.claim_states(["i1"]) == {"i1": ClaimState.DONE}


async def test_claim_states_reads_in_flight_as_busy(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    assert await store.claim_states(["i1"]) == {"i1": ClaimState.BUSY}
    assert await store.claim_states([]) == {}


async def test_finish_reports_whether_it_finished(store: Store) -> None:
    await store.claim(_intent("i1"), "w1", NOW, LEASE)
    assert await store.finish("i1", "w2", NOW) is False
    assert await store.finish("i1", "w1", NOW) is True
    assert await store.finish("i1", "w1", NOW) is False


# Open-trade slots


async def test_opening_slots_count_live_trades_and_held_slots(store: Store) -> None:
    live = {"scaaaaaaaaaaaaaaaaaa"}
    hold = timedelta(minutes=2)
    assert await store.reserve_opening("u1", "i1", 3, live, NOW, hold) is True
    assert await store.reserve_opening("u1", "i1", 3, live, NOW, hold) is True  # idempotent
    assert await store.reserve_opening("u1", "i2", 3, live, NOW, hold) is True
    assert await store.reserve_opening("u1", "i3", 3, live, NOW, hold) is False
    assert await store.reserve_opening("u2", "i3", 3, live, NOW, hold) is True
    await store.release_opening("u1", "i2")
    assert await store.reserve_opening("u1", "i3", 3, live, NOW, hold) is True


async def test_a_held_slot_that_is_live_counts_once_and_expires(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 2, set(), NOW, hold)
    live = {_intent("i1").client_id}  # the held trade is now open on the account
    assert await store.reserve_opening("u1", "i2", 2, live, NOW, hold) is True
    assert await store.reserve_opening("u1", "i3", 2, set(), NOW + hold, hold) is True


async def test_a_settled_slot_whose_trade_closed_before_the_account_read_frees_it(
    store: Store,
) -> None:
    # Arrange: one slot; i1 took it and its orders were placed (settled)
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)
    await store.settle_opening("u1", "i1")

    # Act: the next opening reads the mark, then the account (i1's trade closed meanwhile)
    seen = await store.opening_mark("u1")
    taken = await store.reserve_opening("u1", "i2", 1, set(), NOW, hold, seen=seen)

    # Assert
    assert taken is True


async def test_a_settled_slot_whose_trade_is_still_open_counts_through_the_account(
    store: Store,
) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)
    await store.settle_opening("u1", "i1")
    seen = await store.opening_mark("u1")
    live = {_intent("i1").client_id}
    assert await store.reserve_opening("u1", "i2", 1, live, NOW, hold, seen=seen) is False


async def test_a_slot_settled_after_the_account_was_read_still_counts(store: Store) -> None:
    # Arrange: the next opening read the mark (and then the account) before i1 settled
    hold = timedelta(minutes=2)
    seen = await store.opening_mark("u1")
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)
    await store.settle_opening("u1", "i1")

    # Act: its read cannot show i1's trade, so i1's slot counts
    taken = await store.reserve_opening("u1", "i2", 1, set(), NOW, hold, seen=seen)

    # Assert
    assert taken is False


async def test_slots_not_settled_or_read_without_a_mark_count_until_they_expire(
    store: Store,
) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)  # placing: not settled
    seen = await store.opening_mark("u1")
    assert await store.reserve_opening("u1", "i2", 1, set(), NOW, hold, seen=seen) is False
    await store.settle_opening("u1", "i1")
    assert await store.reserve_opening("u1", "i2", 1, set(), NOW, hold) is False  # no mark
    assert await store.reserve_opening("u1", "i2", 1, set(), NOW + hold, hold) is True


async def test_settling_counts_each_held_slot_once(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.settle_opening("u1", "i1")  # nothing held: nothing settles
    await store.reserve_opening("u1", "i1", 3, set(), NOW, hold)
    await store.settle_opening("u1", "i1")
    await store.settle_opening("u1", "i1")
    await store.reserve_opening("u2", "i2", 3, set(), NOW, hold)
    await store.settle_opening("u2", "i2")
    assert [await store.opening_mark(u) for u in ("u1", "u2", "u3")] == [1, 1, 0]


async def test_a_released_slot_takes_its_settlement_with_it(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)
    await store.settle_opening("u1", "i1")
    await store.release_opening("u1", "i1")
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)  # taken again: unsettled
    seen = await store.opening_mark("u1")
    assert await store.reserve_opening("u1", "i2", 1, set(), NOW, hold, seen=seen) is False


async def test_concurrent_openings_never_pass_the_open_trade_limit(store: Store) -> None:
    hold = timedelta(minutes=2)
    taken = await asyncio.gather(
        *(store.reserve_opening("u1", f"i{n}", 3, set(), NOW, hold) for n in range(12))
    )
    assert taken.count(True) == 3


# Netting symbols held by openings


async def test_a_netting_symbol_is_held_by_one_opening_per_user(store: Store) -> None:
    hold = timedelta(minutes=2)
    assert await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold) is True
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold) is False
    assert await store.reserve_symbol("u1", "EURUSD", "i2", NOW, hold) is True  # another symbol
    assert await store.reserve_symbol("u2", "XAUUSD", "i3", NOW, hold) is True  # another user


async def test_a_settled_symbol_hold_gives_way_to_an_opening_that_read_the_account_after_it(
    store: Store,
) -> None:
    # Arrange: i1 held gold while it placed; its orders are on the account (settled)
    hold = timedelta(minutes=2)
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)
    await store.settle_opening("u1", "i1")

    # Act: the next gold opening reads the mark, then finds nothing on gold (i1's trade closed)
    seen = await store.opening_mark("u1")
    taken = await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold, seen=seen)

    # Assert
    assert (seen, taken) == (1, True)


async def test_a_symbol_hold_settled_after_the_account_was_read_still_blocks(
    store: Store,
) -> None:
    hold = timedelta(minutes=2)
    seen = await store.opening_mark("u1")  # read before i1 settled: the read cannot show it
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)
    await store.settle_opening("u1", "i1")
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold, seen=seen) is False
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold) is False  # no mark


async def test_settling_an_opening_settles_its_slot_and_symbol_at_one_mark(store: Store) -> None:
    # Arrange: i1 holds a slot and gold
    hold = timedelta(minutes=2)
    await store.reserve_opening("u1", "i1", 1, set(), NOW, hold)
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)

    # Act
    await store.settle_opening("u1", "i1")
    await store.settle_opening("u1", "i1")

    # Assert: one settlement; both give way to an opening that read the account after it
    seen = await store.opening_mark("u1")
    assert seen == 1
    assert await store.reserve_opening("u1", "i2", 1, set(), NOW, hold, seen=seen) is True
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold, seen=seen) is True


async def test_a_redelivered_opening_takes_its_own_symbol_back(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)
    assert await store.reserve_symbol("u1", "XAUUSD", "i1", NOW + LEASE, hold) is True
    # Renewed by the retry: still held a whole hold after it, not only after the first attempt
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW + hold, hold) is False
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW + LEASE + hold, hold) is True


async def test_a_symbol_held_by_a_crashed_opening_is_free_after_the_hold(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW + hold - LEASE, hold) is False
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW + hold, hold) is True


async def test_a_released_symbol_is_free_and_releasing_again_changes_nothing(store: Store) -> None:
    hold = timedelta(minutes=2)
    await store.reserve_symbol("u1", "XAUUSD", "i1", NOW, hold)
    await store.release_symbol("u1", "i2")  # holds nothing: nothing to give back
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold) is False
    await store.release_symbol("u1", "i1")
    await store.release_symbol("u1", "i1")
    assert await store.reserve_symbol("u1", "XAUUSD", "i2", NOW, hold) is True


async def test_concurrent_openings_on_one_netting_symbol_hold_it_once(store: Store) -> None:
    hold = timedelta(minutes=2)
    taken = await asyncio.gather(
        *(store.reserve_symbol("u1", "XAUUSD", f"i{n}", NOW, hold) for n in range(8))
    )
    assert taken.count(True) == 1


# Due records


async def test_trades_due_lists_records_whose_time_has_come(store: Store) -> None:
    await store.save_trade(make_trade("late", due_at=NOW + LEASE))
    await store.save_trade(make_trade("soon", due_at=NOW))
    await store.save_trade(make_trade("never"))
    await store.save_trade(make_trade("other", user_id="u2", due_at=NOW))

    assert [t.intent.id for t in await store.trades_due(NOW, 10)] == ["soon", "other"]
    await store.save_trade(make_trade("soon"))  # handled: no longer due
    assert [t.intent.id for t in await store.trades_due(NOW + LEASE, 10)] == ["other", "late"]


async def test_a_database_of_an_older_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    with sqlite3.connect(path) as raw:
        raw.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        raw.execute("INSERT INTO schema_version VALUES (1)")
    with pytest.raises(StoreCorrupt, match="older"):
        SqliteStore(path)


# Watched accounts (the sweep polls their deals)


async def test_a_watched_account_keeps_its_earliest_cursor_and_moves_only_forward(
    store: Store,
) -> None:
    await store.watch("u2", NOW, NOW)
    await store.watch("u1", NOW, NOW)
    await store.watch("u1", NOW - LEASE, NOW)  # an earlier start is kept
    await store.watch("u1", NOW + LEASE, NOW)
    assert await store.watched(10) == [("u1", NOW - LEASE), ("u2", NOW)]
    await store.advance_watch("u1", NOW + LEASE)
    await store.advance_watch("u1", NOW)  # never back
    assert await store.watched(10) == [("u1", NOW + LEASE), ("u2", NOW)]
    assert await store.watched(1, after="u1") == [("u2", NOW)]


async def test_overlapping_polls_moving_one_cursor_leave_it_at_the_latest_move(
    store: Store,
) -> None:
    # Arrange: polls of one account run at once, each moving the cursor to its newest deal
    await store.watch("u1", NOW, NOW)
    moves = [NOW + timedelta(seconds=s) for s in (30, 10, 50, 20)]

    # Act
    outcomes = await asyncio.gather(
        *(store.advance_watch("u1", at) for at in moves), return_exceptions=True
    )
    await store.advance_watch("u2", NOW + LEASE)  # an account no longer watched

    # Assert: contention may refuse a move (Retryable: that poll comes again), never undo one
    assert all(o is None or isinstance(o, StoreUnavailable) for o in outcomes)
    done = [at for at, outcome in zip(moves, outcomes, strict=True) if outcome is None]
    assert done and await store.watched(10) == [("u1", max(done))]


async def test_unwatch_keeps_an_account_whose_trade_opened_since_the_check(store: Store) -> None:
    await store.watch("u1", NOW, NOW + LEASE)  # a trade opened after the sweep's check
    assert await store.unwatch("u1", NOW) is False
    assert await store.unwatch("u1", NOW + 2 * LEASE) is True
    assert await store.watched(10) == []


async def test_subscriber_pages_yield_every_follower_once_in_order(store: Store) -> None:
    for n in range(25):
        await store.add_subscription(Subscription(user_id=f"u{n:02}", chat_id="c1"), None)
    await store.add_subscription(Subscription(user_id="u99", chat_id="c2"), None)

    pages = [page async for page in store.subscriber_pages("c1")]

    assert [s.user_id for page in pages for s in page] == [f"u{n:02}" for n in range(25)]
    assert all(pages)
