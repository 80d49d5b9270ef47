"""The Store contract: every store adapter must pass these (add a param to `store` per adapter)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from signal_copier.core.errors import InvalidInput, StoreUnavailable
from signal_copier.core.model import Fill, Intent, IntentKind, Side, Signal, Status, TradeResult
from signal_copier.core.ports import Store
from signal_copier.core.records import (
    ClaimState,
    MessageRecord,
    Plan,
    Subscription,
    TradeRecord,
    Usage,
    UserRecord,
)
from signal_copier.store import StoreCorrupt
from signal_copier.store.sqlite import SqliteStore

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture(params=["sqlite"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        async with SqliteStore(":memory:") as sqlite_store:
            yield sqlite_store


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
    assert await store.remember_message(make_message()) is True
    assert await store.remember_message(make_message(kind="none")) is False
    assert (await store.latest_message("-100123", 812)) == make_message()


async def test_latest_message_returns_the_highest_version(store: Store) -> None:
    for version in (0, 1767606000, 1767605000):
        await store.remember_message(make_message(version=version, reason=str(version)))

    latest = await store.latest_message("-100123", 812)

    assert latest is not None
    assert latest.version == 1767606000


async def test_latest_message_before_a_version_returns_the_one_below(store: Store) -> None:
    for version in (0, 1767605000, 1767606000):
        await store.remember_message(make_message(version=version))

    previous = await store.latest_message("-100123", 812, before=1767606000)
    first = await store.latest_message("-100123", 812, before=1767605000)

    assert previous is not None
    assert previous.version == 1767605000
    assert first is not None
    assert first.version == 0
    assert await store.latest_message("-100123", 812, before=0) is None


async def test_message_is_found_by_key(store: Store) -> None:
    await store.remember_message(make_message(version=7))
    assert await store.message("-100123:812:7") == make_message(version=7)
    assert await store.message("-100123:812:0") is None


async def test_mark_fanned_out_updates_only_that_count(store: Store) -> None:
    await store.remember_message(make_message())
    await store.mark_fanned_out("-100123:812:0", 3)
    await store.mark_fanned_out("-100123:999:0", 3)
    assert await store.message("-100123:812:0") == make_message(fanned_out=3)
    assert await store.message("-100123:999:0") is None


async def test_latest_message_of_an_unknown_message_is_none(store: Store) -> None:
    await store.remember_message(make_message(message_id=1))
    assert await store.latest_message("-100123", 2) is None


async def test_message_record_keeps_decimals_exactly(store: Store) -> None:
    await store.remember_message(make_message())
    latest = await store.latest_message("-100123", 812)
    assert latest is not None
    assert latest.signal is not None
    assert str(latest.signal.sl) == "1920.50"


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
    await store.put_subscription(Subscription(user_id="u2", chat_id="c1", overrides={"lot": "1"}))
    await store.put_subscription(Subscription(user_id="u1", chat_id="c1"))
    await store.put_subscription(Subscription(user_id="u1", chat_id="c2"))

    assert [s.user_id for s in await store.subscribers("c1")] == ["u1", "u2"]
    assert [s.chat_id for s in await store.subscriptions("u1")] == ["c1", "c2"]
    assert (await store.subscribers("c1"))[1].overrides == {"lot": "1"}


async def test_put_subscription_replaces_overrides(store: Store) -> None:
    await store.put_subscription(Subscription(user_id="u1", chat_id="c1", overrides={"a": 1}))
    await store.put_subscription(Subscription(user_id="u1", chat_id="c1", overrides={"b": 2}))
    assert await store.subscribers("c1") == [
        Subscription(user_id="u1", chat_id="c1", overrides={"b": 2})
    ]


async def test_delete_subscription_stops_following(store: Store) -> None:
    await store.put_subscription(Subscription(user_id="u1", chat_id="c1"))
    await store.delete_subscription("u1", "c1")
    await store.delete_subscription("u1", "c1")
    assert await store.subscribers("c1") == []
    assert await store.subscriptions("u1") == []


# Claims


async def test_first_claim_is_new(store: Store) -> None:
    claim = await store.claim("i1", "w1", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.NEW, 1)


async def test_second_claim_while_lease_live_is_busy(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    claim = await store.claim("i1", "w2", NOW + LEASE - timedelta(microseconds=1), LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.BUSY, 1)


async def test_same_owner_claim_while_lease_live_is_busy(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    assert (await store.claim("i1", "w1", NOW, LEASE)).state is ClaimState.BUSY


async def test_expired_claim_is_taken_over_as_retry(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    claim = await store.claim("i1", "w2", NOW + LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 2)
    claim = await store.claim("i1", "w3", NOW + 2 * LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 3)


async def test_finished_intent_is_done_forever(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.finish("i1", "w1", NOW)
    claim = await store.claim("i1", "w2", NOW + 10 * LEASE, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.DONE, 1)


async def test_finish_by_an_owner_that_lost_the_lease_is_ignored(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.claim("i1", "w2", NOW + LEASE, LEASE)
    await store.finish("i1", "w1", NOW + LEASE)
    assert (await store.claim("i1", "w3", NOW + LEASE, LEASE)).state is ClaimState.BUSY


async def test_released_claim_is_retried_at_once(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    claim = await store.claim("i1", "w2", NOW, LEASE)
    assert (claim.state, claim.attempt) == (ClaimState.RETRY, 2)


async def test_release_claim_by_another_owner_or_after_finish_is_ignored(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.release_claim("i1", "w2")
    assert (await store.claim("i1", "w3", NOW, LEASE)).state is ClaimState.BUSY
    await store.finish("i1", "w1", NOW)
    await store.release_claim("i1", "w1")
    assert (await store.claim("i1", "w3", NOW, LEASE)).state is ClaimState.DONE


async def test_released_owner_can_no_longer_finish(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.release_claim("i1", "w1")
    await store.finish("i1", "w1", NOW)
    assert (await store.claim("i1", "w2", NOW, LEASE)).state is ClaimState.RETRY


async def test_finish_of_an_unclaimed_intent_is_ignored(store: Store) -> None:
    await store.finish("i1", "w1", NOW)
    assert (await store.claim("i1", "w1", NOW, LEASE)).state is ClaimState.NEW


async def test_concurrent_claims_one_winner(store: Store) -> None:
    claims = await asyncio.gather(*(store.claim("i1", f"w{n}", NOW, LEASE) for n in range(20)))
    states = [c.state for c in claims]
    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.BUSY) == 19


async def test_claim_with_naive_time_is_invalid(store: Store) -> None:
    with pytest.raises(InvalidInput):
        await store.claim("i1", "w1", datetime(2026, 1, 5), LEASE)


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


# SQLite only: files, processes, locking and corrupt rows.


async def test_two_connections_same_file_see_one_claim(tmp_path: Path) -> None:
    path = str(tmp_path / "nested" / "copier.db")
    async with SqliteStore(path) as first, SqliteStore(path) as second:
        claims = [
            await first.claim("i1", "w1", NOW, LEASE),
            await second.claim("i1", "w2", NOW, LEASE),
        ]
        await first.finish("i1", "w1", NOW)
        assert [c.state for c in claims] == [ClaimState.NEW, ClaimState.BUSY]
        assert (await second.claim("i1", "w3", NOW, LEASE)).state is ClaimState.DONE


def test_claims_from_threads_on_two_connections_one_winner(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    stores = [SqliteStore(path), SqliteStore(path)]

    def claim(n: int) -> ClaimState:
        return asyncio.run(stores[n % 2].claim("i1", f"w{n}", NOW, LEASE)).state

    with ThreadPoolExecutor(max_workers=8) as pool:
        states = list(pool.map(claim, range(40)))
    for store in stores:
        store.close()

    assert states.count(ClaimState.NEW) == 1
    assert states.count(ClaimState.BUSY) == 39


async def test_file_store_uses_wal_and_survives_reopening(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path) as store:
        await store.reserve_quota("u1", "2026-01-05", "i1", 10)
    async with SqliteStore(path) as store:
        assert (await store.usage("u1", "2026-01-05")).used == 1
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert raw.execute("SELECT version FROM schema_version").fetchall() == [(1,)]


async def test_locked_database_raises_store_unavailable(tmp_path: Path) -> None:
    path = str(tmp_path / "copier.db")
    async with SqliteStore(path, busy_timeout=0.05) as store:
        raw = sqlite3.connect(path, isolation_level=None)
        raw.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreUnavailable):
                await store.claim("i1", "w1", NOW, LEASE)
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        assert (await store.claim("i1", "w1", NOW, LEASE)).state is ClaimState.NEW


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
            for n in range(300):
                await store.save_trade(make_trade(f"i{batch}-{n}"))
            await asyncio.sleep(0.3)
            sizes.append(wal.stat().st_size)
        assert sizes[1] < sizes[0] * 1.5
        assert len(await store.trades("u1")) == 600


async def test_finish_stores_the_record_only_for_the_claims_owner(store: Store) -> None:
    await store.claim("i1", "w1", NOW, LEASE)
    await store.finish("i1", "w2", NOW, make_trade("i1"))  # not the owner: nothing happens
    assert await store.trade("u1", "i1") is None
    assert (await store.claim("i1", "w3", NOW, LEASE)).state is ClaimState.BUSY
    await store.finish("i1", "w1", NOW, make_trade("i1"))
    assert (await store.trade("u1", "i1")) is not None
    assert (await store.claim("i1", "w3", NOW, LEASE)).state is ClaimState.DONE
