"""What only the Firestore store has: document shapes, TTL fields, indexes, ids, its error table,
retries of conflicting transactions, and its client's event loop. The Store contract itself is
tests/integration/test_store_contract.py (run on the emulator there)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from google.api_core import exceptions as gax
from google.cloud import firestore
from hypothesis import given
from hypothesis import strategies as st

from conftest import repo_root
from signal_copier.core.errors import InvalidInput, StoreUnavailable
from signal_copier.core.model import Intent, IntentKind, Side, Signal, Status, TradeResult
from signal_copier.core.records import (
    MessageRecord,
    ParkedIntent,
    Subscription,
    TradeRecord,
    UserRecord,
)
from signal_copier.stack.emulators import Emulators
from signal_copier.store import StoreCorrupt, decode
from signal_copier.store.firestore import FirestoreStore, StoreRejected
from signal_copier.store.firestore.client import Write
from signal_copier.store.firestore.encoding import MAX_ID_BYTES, doc_id, key_of, to_native
from signal_copier.store.firestore.errors import ERRORS, translate
from signal_copier.store.firestore.schema import COMPOSITE_QUERIES, TTL_FIELDS

NOW = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
LEASE = timedelta(seconds=60)


@pytest.fixture
async def store(firestore_emulator: Emulators) -> AsyncIterator[FirestoreStore]:
    async with FirestoreStore(firestore_emulator.project) as firestore_store:
        yield firestore_store


async def remember(store: FirestoreStore, record: MessageRecord) -> None:
    await store.remember_message(
        record.chat_id, record.message_id, record.version, lambda h: record
    )


async def raw(store: FirestoreStore, path: str) -> dict[str, Any]:
    snap = await store.db.document(path).get()
    assert snap.exists, path
    return snap.to_dict() or {}


def message(version: int = 0) -> MessageRecord:
    signal = Signal(symbol="XAUUSD", side=Side.BUY, sl=Decimal("1920.50"), tps=(Decimal("1930"),))
    return MessageRecord(
        key=f"-1001234567890:812:{version}",
        chat_id="-1001234567890",
        message_id=812,
        version=version,
        date=NOW,
        kind="open",
        signals=(signal,),
    )


def trade(intent_id: str = "i1") -> TradeRecord:
    intent = Intent(
        id=intent_id,
        user_id="tg1",
        kind=IntentKind.OPEN,
        chat_id="-100123",
        message_id=812,
        version=0,
        message_date=NOW,
        received=NOW,
    )
    result = TradeResult(intent_id=intent_id, user_id="tg1", status=Status.PLACED)
    return TradeRecord(intent=intent, result=result, signal_ref="-100123:812", recorded_at=NOW)


# Indexes and TTL fields


def test_every_composite_query_has_its_index_in_firestore_indexes_json() -> None:
    declared = json.loads((repo_root() / "firestore.indexes.json").read_text())["indexes"]
    missing = [query for query in COMPOSITE_QUERIES if query.index() not in declared]
    assert missing == []


async def test_message_history_carries_a_ttl_field_past_the_follow_up_age(
    store: FirestoreStore,
) -> None:
    await remember(store, message())
    stored = await raw(store, "messages/-1001234567890:812:0")
    assert stored["expire_at"] == NOW + timedelta(days=35)
    assert ("messages", "expire_at") in TTL_FIELDS


async def test_claims_carry_a_ttl_field_renewed_by_each_claim_and_finish(
    store: FirestoreStore,
) -> None:
    await store.claim(trade("i1").intent, "w1", NOW, LEASE)
    first = (await raw(store, "intents/i1"))["expire_at"]
    await store.claim(trade("i1").intent, "w2", NOW + LEASE, LEASE)
    await store.finish("i1", "w2", NOW + 2 * LEASE)
    finished = await raw(store, "intents/i1")

    assert first == NOW + timedelta(days=10)
    assert finished["expire_at"] == NOW + 2 * LEASE + timedelta(days=10)
    assert finished["state"] == "done"
    assert ("intents", "expire_at") in TTL_FIELDS


async def test_every_declared_ttl_field_is_a_timestamp_on_its_documents(
    store: FirestoreStore,
) -> None:
    await remember(store, message())
    await store.claim(trade("i1").intent, "w1", NOW, LEASE)
    paths = {
        "messages": "messages/-1001234567890:812:0",
        "message_heads": "message_heads/-1001234567890:812",
        "intents": "intents/i1",
    }
    for collection, field in TTL_FIELDS:
        assert isinstance((await raw(store, paths[collection]))[field], datetime)


# Document shapes


async def test_documents_hold_native_maps_and_timestamps_and_decimals_as_text(
    store: FirestoreStore,
) -> None:
    await remember(store, message())
    await store.put_user(UserRecord(user_id="tg1", settings={"risk": {"percent": "1.5"}}))
    stored = await raw(store, "messages/-1001234567890:812:0")
    user = await raw(store, "users/tg1")

    assert isinstance(stored["date"], datetime)
    assert stored["signals"][0]["sl"] == "1920.50"
    assert stored["signals"][0]["tps"] == ["1930"]
    assert stored["fanned_out"] == -1
    assert user["settings"] == {"risk": {"percent": "1.5"}}


async def test_a_claim_keeps_its_intent_and_a_parked_intent_its_target(
    store: FirestoreStore,
) -> None:
    intent = trade("i1").intent
    await store.claim(intent, "w1", NOW, LEASE)
    await store.park(ParkedIntent(intent=intent, awaiting=811, until=NOW + LEASE), "w1")
    claim = await raw(store, "intents/i1")
    parked = await raw(store, "parked/i1")

    assert (claim["state"], claim["owner"], claim["attempt"]) == ("parked", "", 1)
    assert claim["intent"]["message_date"] == NOW
    assert {k: parked[k] for k in ("chat_id", "awaiting", "user_id", "until")} == {
        "chat_id": "-100123",
        "awaiting": 811,
        "user_id": "tg1",
        "until": NOW + LEASE,
    }


async def test_the_history_head_lists_every_stored_version(store: FirestoreStore) -> None:
    for version in (7, 0):
        await remember(store, replace(message(version), key=f"-1001234567890:812:{version}"))
    head = await raw(store, "message_heads/-1001234567890:812")
    assert head["versions"] == [0, 7]


async def test_open_trade_slots_are_one_document_per_user(store: FirestoreStore) -> None:
    await store.reserve_opening("tg1", "i1", 2, set(), NOW, LEASE)
    await store.settle_opening("tg1", "i1")
    await store.reserve_opening("tg1", "i2", 2, set(), NOW + LEASE, LEASE)  # i1's slot ran out
    await store.settle_opening("tg1", "i2")
    assert await raw(store, "openings/tg1") == {
        "user_id": "tg1",
        "held": {"i2": NOW + 2 * LEASE},
        "settled": {"i2": 2},
        "mark": 2,  # the count of settled openings outlives their slots
    }


async def test_netting_symbols_held_are_one_document_per_user(store: FirestoreStore) -> None:
    await store.reserve_symbol("tg1", "XAUUSD", "i1", NOW, LEASE)
    await store.reserve_symbol("tg1", "XAUUSD", "i2", NOW + LEASE, LEASE)  # i1's hold ran out
    await store.reserve_symbol("tg1", "EURUSD.r", "i3", NOW + LEASE, LEASE)
    await store.release_symbol("tg1", "i3")
    await store.settle_opening("tg1", "i2")  # its mark is kept with the user's slots
    held = {"i2": {"symbol": "XAUUSD", "until": NOW + 2 * LEASE, "settled": 1}}
    assert await raw(store, "symbol_holds/tg1") == {"user_id": "tg1", "held": held}


async def test_a_subscription_is_written_and_deleted_on_both_sides(store: FirestoreStore) -> None:
    followed = Subscription(user_id="tg1", chat_id="@gold", overrides={"a": 1}, since=NOW)
    await store.add_subscription(followed, None)
    paths = ("users/tg1/channels/@gold", "chats/@gold/subscribers/tg1")
    both = [await raw(store, path) for path in paths]
    await store.delete_subscription("tg1", "@gold")

    expected = {"user_id": "tg1", "chat_id": "@gold", "overrides": {"a": 1}, "since": NOW}
    assert both[0] == both[1] == expected
    assert not (await store.db.document(paths[0]).get()).exists
    assert not (await store.db.document(paths[1]).get()).exists


async def test_put_and_update_user_keep_fields_of_the_user_document_they_do_not_own(
    store: FirestoreStore,
) -> None:
    await store.db.document("users/tg1").set({"onboarding": "broker"})
    await store.put_user(UserRecord(user_id="tg1", settings={"a": "1"}))
    await store.put_user(UserRecord(user_id="tg1", settings={"b": "2"}))
    await store.update_user("tg1", lambda user: user)

    stored = await raw(store, "users/tg1")
    assert stored["onboarding"] == "broker"
    assert stored["settings"] == {"b": "2"}


async def test_a_user_document_holding_only_other_fields_is_no_user_yet(
    store: FirestoreStore,
) -> None:
    await store.db.document("users/tg1").set({"onboarding": "telegram"})
    assert await store.get_user("tg1") is None
    assert await store.update_user("tg1", lambda user: user) is None
    assert await store.create_user(UserRecord(user_id="tg1")) is True
    assert await store.create_user(UserRecord(user_id="tg1", active=False)) is False
    assert await store.get_user("tg1") == UserRecord(user_id="tg1")
    assert (await raw(store, "users/tg1"))["onboarding"] == "telegram"


async def test_subscribers_stream_in_pages(firestore_emulator: Emulators) -> None:
    async with FirestoreStore(firestore_emulator.project, page_size=3) as store:
        for n in range(7):
            await store.add_subscription(Subscription(user_id=f"tg{n}", chat_id="@gold"), None)
        pages = [page async for page in store.subscriber_pages("@gold")]
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [s.user_id for page in pages for s in page] == [f"tg{n}" for n in range(7)]


async def test_a_fan_out_that_stops_early_leaves_no_page_read_running(
    firestore_emulator: Emulators,
) -> None:
    async with FirestoreStore(firestore_emulator.project, page_size=2) as store:
        for n in range(5):
            await store.add_subscription(Subscription(user_id=f"tg{n}", chat_id="@gold"), None)
        pages = store.subscriber_pages("@gold")
        first = await anext(pages)  # the second page is being read ahead by now
        await pages.aclose()
        reads = [t for t in asyncio.all_tasks() if t.get_coro().__qualname__.endswith("._page")]
        assert [s.user_id for s in first] == ["tg0", "tg1"]
        assert reads == []


# Bad values and corrupt documents


@pytest.mark.parametrize(
    "settings",
    [
        {"hours": [["08:00", "20:00"]]},
        {"big": 2**63},
        {"": 1},
        {"__x__": 1},
        {"at": datetime(2026, 1, 5)},
    ],
)
async def test_values_firestore_cannot_hold_are_invalid_input_and_change_nothing(
    store: FirestoreStore, settings: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInput, match="settings"):
        await store.put_user(UserRecord(user_id="tg1", settings=settings))
    assert await store.get_user("tg1") is None


@pytest.mark.parametrize(
    ("path", "fields", "call"),
    [
        ("users/tg1", {"user_id": "tg1", "plan": "gold"}, lambda s: s.get_user("tg1")),
        (
            "users/tg1",
            {"user_id": "tg1", "settings": "{}"},
            lambda s: s.update_user("tg1", lambda u: u),
        ),
        (
            "intents/i1",
            {"intent_id": "i1", "state": "lost"},
            lambda s: s.claim(trade("i1").intent, "w", NOW, LEASE),
        ),
        ("users/tg1/trades/i1", {"seq": 1}, lambda s: s.trade("tg1", "i1")),
        ("users/tg1/usage/2026-01-05", {"used": "3"}, lambda s: s.usage("tg1", "2026-01-05")),
        ("messages/k", {"key": "k", "version": 1.5}, lambda s: s.message("k")),
        (
            "message_heads/-100123:812",
            {"versions": "0,7"},
            lambda s: s.remember_message("-100123", 812, 9, lambda history: None),
        ),
        (
            "openings/tg1",
            {"held": {"i1": "soon"}},
            lambda s: s.reserve_opening("tg1", "i2", 2, set(), NOW, LEASE),
        ),
        (
            "openings/tg1",
            {"held": {"i1": NOW}, "settled": {"i1": "first"}},
            lambda s: s.settle_opening("tg1", "i1"),
        ),
        (
            "symbol_holds/tg1",
            {"held": {"i1": {"symbol": "XAUUSD", "until": "soon"}}},
            lambda s: s.reserve_symbol("tg1", "XAUUSD", "i2", NOW, LEASE),
        ),
        ("accounts/acc-1", {"user_id": 7}, lambda s: s.account_owner("acc-1")),
        (
            "parked/i1",
            {"intent_id": "i1", "chat_id": "-100123", "awaiting": 811, "until": "later"},
            lambda s: s.parked_on("-100123", 811),
        ),
    ],
)
async def test_a_corrupt_document_raises_store_corrupt_naming_it(
    store: FirestoreStore, path: str, fields: dict[str, Any], call: Any
) -> None:
    await store.db.document(path).set(fields)
    with pytest.raises(StoreCorrupt, match=path):
        await call(store)


# Document ids


@pytest.mark.parametrize(
    "key", ["tg123456789", "-1001234567890", "@gold_signals", "-1001234567890:812:0", "2026-01-05"]
)
def test_the_ids_the_copier_uses_are_their_own_document_ids(key: str) -> None:
    assert doc_id(key) == key


@given(st.text(min_size=1, max_size=120))
def test_document_ids_are_valid_and_decode_to_their_key(key: str) -> None:
    encoded = doc_id(key)
    assert "/" not in encoded
    assert encoded not in (".", "..")
    assert not (encoded.startswith("__") and encoded.endswith("__"))
    assert len(encoded.encode()) <= MAX_ID_BYTES
    assert key_of(encoded) == key


@given(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30))
def test_two_keys_never_share_a_document_id(first: str, second: str) -> None:
    if first != second:
        assert doc_id(first) != doc_id(second)


def test_ids_too_long_or_empty_are_invalid_input() -> None:
    with pytest.raises(InvalidInput):
        doc_id("")
    with pytest.raises(InvalidInput):
        doc_id("%" * 600)


# Errors and transactions


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (gax.Aborted("contention"), StoreUnavailable),
        (gax.DeadlineExceeded("slow"), StoreUnavailable),
        (gax.ServiceUnavailable("down"), StoreUnavailable),
        (gax.ResourceExhausted("quota"), StoreUnavailable),
        (gax.InternalServerError("oops"), StoreUnavailable),
        (gax.FailedPrecondition("index building"), StoreUnavailable),
        (gax.BadGateway("proxy"), StoreUnavailable),
        (TimeoutError(), StoreUnavailable),
        (gax.InvalidArgument("too big"), InvalidInput),
        (gax.PermissionDenied("iam"), StoreRejected),
        (gax.Unauthenticated("token"), StoreRejected),
        (gax.Conflict("other 409"), StoreRejected),
    ],
)
def test_the_error_table_says_retry_or_reject(error: BaseException, expected: type) -> None:
    mapped = translate(error, "users/tg1")
    assert type(mapped) is expected
    assert "users/tg1" in str(mapped)


def test_errors_outside_the_table_are_not_translated() -> None:
    assert translate(ValueError("a bug"), "x") is None
    assert all(issubclass(cls, BaseException) for cls in ERRORS)


async def test_a_transaction_that_keeps_conflicting_raises_store_unavailable(
    firestore_emulator: Emulators,
) -> None:
    runs = 0

    async def gather(reader: Any) -> None:
        nonlocal runs
        runs += 1
        await reader.docs([store.doc("users", "tg1")])
        raise gax.Aborted("too much contention on these documents")

    async with FirestoreStore(firestore_emulator.project, attempts=3) as store:
        with pytest.raises(StoreUnavailable, match="3 attempts"):
            await store.atomically("users/tg1", gather, lambda _: (None, []))
    assert runs == 3


async def test_a_rejected_transaction_is_not_retried(store: FirestoreStore) -> None:
    runs = 0

    async def gather(reader: Any) -> None:
        nonlocal runs
        runs += 1
        raise gax.PermissionDenied("rules")

    with pytest.raises(StoreRejected):
        await store.atomically("users/tg1", gather, lambda _: (None, []))
    assert runs == 1


async def test_writes_are_applied_only_after_every_read(store: FirestoreStore) -> None:
    ref = store.doc("users", "tg1")
    seen: list[bool] = []

    def decide(snaps: list[Any]) -> tuple[str, list[Write]]:
        seen.append(snaps[0].exists)
        return "done", [Write(ref, {"user_id": "tg1"}), Write(store.doc("users", "tg2"))]

    assert await store.transact([ref], decide) == "done"
    assert seen == [False]
    assert await raw(store, "users/tg1") == {"user_id": "tg1"}


async def test_contention_between_two_instances_ends_in_a_retry_or_an_exact_count(
    firestore_emulator: Emulators,
) -> None:
    # Two stores = two instances: only Firestore's transactions stand between them. One attempt
    # each, so conflicts surface as StoreUnavailable (the emulator resolves them by lock timeout).
    async with (
        FirestoreStore(firestore_emulator.project, attempts=1) as first,
        FirestoreStore(firestore_emulator.project, attempts=1) as second,
    ):
        calls = [
            s.reserve_quota("tg1", "2026-01-05", f"i{n}", 3)
            for n, s in enumerate([first, second] * 2)
        ]
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        assert all(isinstance(o, bool | StoreUnavailable) for o in outcomes), outcomes
        for n, outcome in enumerate(outcomes):  # redeliver what was told to retry
            while isinstance(outcome, StoreUnavailable):
                try:
                    outcome = await first.reserve_quota("tg1", "2026-01-05", f"i{n}", 3)
                except StoreUnavailable as e:
                    outcome = e
            outcomes[n] = outcome
        usage = await first.usage("tg1", "2026-01-05")
    assert outcomes.count(True) == usage.used == 3


# The client and its event loop


def test_the_client_belongs_to_the_loop_that_made_it(firestore_emulator: Emulators) -> None:
    store = FirestoreStore(firestore_emulator.project)
    asyncio.run(store.put_user(UserRecord(user_id="tg1")))

    with pytest.raises(RuntimeError, match="event loop"):
        asyncio.run(store.get_user("tg1"))

    async def reopen() -> UserRecord | None:
        async with store:
            return await store.get_user("tg1")

    asyncio.run(store.aclose())
    assert asyncio.run(reopen()) == UserRecord(user_id="tg1")


async def test_aclose_is_idempotent_and_a_later_call_opens_a_new_client(
    store: FirestoreStore,
) -> None:
    await store.put_user(UserRecord(user_id="tg1"))
    await store.aclose()
    await store.aclose()
    assert await store.get_user("tg1") == UserRecord(user_id="tg1")


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="page_size"):
        FirestoreStore("demo", page_size=0)


async def test_the_store_talks_to_the_database_it_names(firestore_emulator: Emulators) -> None:
    async with FirestoreStore(firestore_emulator.project, database="other") as other:
        await other.put_user(UserRecord(user_id="tg1"))
    default = firestore.AsyncClient(project=firestore_emulator.project)
    assert not (await default.document("users/tg1").get()).exists


def test_a_native_record_decodes_to_itself() -> None:
    record = trade()
    assert decode(TradeRecord, to_native(record), "trade") == record


async def test_history_steps_from_two_instances_never_both_store_an_empty_history(
    firestore_emulator: Emulators,
) -> None:
    # A conflicting attempt may see an empty history and be re-run: what counts is what is
    # stored. Each version records whether its builder saw an empty history.
    async def remember_from(store: FirestoreStore, version: int) -> None:
        def build(history: tuple[MessageRecord, ...]) -> MessageRecord:
            seen = "first" if not history else "after " + ",".join(str(h.version) for h in history)
            return replace(message(version), reason=seen)

        await store.remember_message("-1001234567890", 812, version, build)

    async with (
        FirestoreStore(firestore_emulator.project) as first,
        FirestoreStore(firestore_emulator.project) as second,
    ):
        await asyncio.gather(remember_from(first, 0), remember_from(second, 7))
        stored = [await first.message(f"-1001234567890:812:{v}") for v in (0, 7)]

    reasons = sorted(record.reason for record in stored if record is not None)
    assert reasons in (["after 0", "first"], ["after 7", "first"])


async def test_follows_from_two_instances_never_pass_the_limit(
    firestore_emulator: Emulators,
) -> None:
    # Counting the user's chats is a query inside the transaction, as above.
    async with (
        FirestoreStore(firestore_emulator.project) as first,
        FirestoreStore(firestore_emulator.project) as second,
    ):
        added = await asyncio.gather(
            *(
                until_answered(s, Subscription(user_id="tg1", chat_id=f"@c{n}"), 1)
                for n, s in enumerate([first, second])
            )
        )
        followed = await first.subscriptions("tg1")

    assert added.count(True) == len(followed) == 1


async def until_answered(store: FirestoreStore, subscription: Subscription, limit: int) -> bool:
    for _ in range(10):
        try:
            return await store.add_subscription(subscription, limit)
        except StoreUnavailable:
            continue
    raise AssertionError("still unavailable after 10 redeliveries")
