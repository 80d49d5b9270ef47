"""The store keeps each trade record and message version it writes as the decoding of its
stored text (store/sqlite/db.py).

That is sound only while the codec gives back exactly what it encoded: after the demo replay,
every record the store's cache holds must be exactly what decoding its stored text gives.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core.model import Intent, IntentKind, Status, TradeResult
from signal_copier.core.records import MessageRecord, TradeRecord
from signal_copier.services import demo
from signal_copier.store.sqlite import SqliteStore, db, messages
from signal_copier.telegram import replay

ROOT = Path(__file__).resolve().parents[2]
AT = datetime(2026, 1, 5, 9, tzinfo=UTC)


def test_every_cached_record_after_the_demo_is_what_its_text_decodes_to(tmp_path: Path) -> None:
    events = replay.load(ROOT / "examples" / "demo_channel.jsonl")
    settings = replace(Settings.from_env({}), data_dir=tmp_path)
    runtime = bootstrap.build_local(settings, start=events[0].at)
    store = runtime.deps.store
    assert isinstance(store, SqliteStore)
    try:
        asyncio.run(demo.run(events, runtime.deps, runtime.queue, runtime.broker))
        cached = list(store._decoded.items())
    finally:
        runtime.close()

    kinds = Counter(key[0] for key, _ in cached)
    assert kinds[TradeRecord] > 40 and kinds[MessageRecord] > 40  # the whole demo fits
    for key, record in cached:
        if key[0] is TradeRecord:
            back: object = db.load(TradeRecord, key[1], "test")
        else:
            back = messages.decoded(key[1], key[2], "test")
        assert back == record
        assert repr(back) == repr(record)  # same types, Decimal exponents and time zones


def test_every_stored_text_after_the_demo_is_its_record_encoded_whole(tmp_path: Path) -> None:
    # A claim's payload and the trade record a finish writes reuse the intent's text encoded
    # once (store/sqlite/claims.py): the stored bytes must be what encoding each whole writes.
    events = replay.load(ROOT / "examples" / "demo_channel.jsonl")
    settings = replace(Settings.from_env({}), data_dir=tmp_path)
    runtime = bootstrap.build_local(settings, start=events[0].at)
    store = runtime.deps.store
    assert isinstance(store, SqliteStore)
    try:
        asyncio.run(demo.run(events, runtime.deps, runtime.queue, runtime.broker))
        trades = [row[0] for row in store._rows("SELECT record FROM trades", ())]
        intents = [row[0] for row in store._rows("SELECT payload FROM intents", ())]
    finally:
        runtime.close()

    assert len(trades) > 40 and len(intents) > 40
    for text in trades:
        assert db.dump(db.load(TradeRecord, text, "test")) == text
    for text in intents:
        assert db.dump(db.load(Intent, text, "test")) == text


def test_a_finish_writes_the_same_record_text_whether_its_intent_was_claimed_here() -> None:
    intent = Intent(
        id="i1",
        user_id="u",
        kind=IntentKind.OPEN,
        chat_id="c",
        message_id=1,
        version=0,
        message_date=AT,
        received=AT,
    )
    result = TradeResult(intent_id="i1", user_id="u", status=Status.PLACED, latency_ms=1.5)
    texts = []
    for recorded in (intent, replace(intent)):  # the claimed object, then an equal copy
        store = SqliteStore(":memory:")
        try:
            asyncio.run(store.claim(intent, "w", AT, timedelta(seconds=60)))
            record = TradeRecord(intent=recorded, result=result, signal_ref="c:1", recorded_at=AT)
            assert asyncio.run(store.finish("i1", "w", AT, record))
            texts += [row[0] for row in store._rows("SELECT record FROM trades", ())]
        finally:
            store.close()

    assert texts[0] == texts[1] == db.dump(db.load(TradeRecord, texts[0], "test"))


def test_a_record_read_after_its_write_is_the_one_last_written() -> None:
    store = SqliteStore(":memory:")
    intent = Intent(
        id="i1",
        user_id="u",
        kind=IntentKind.OPEN,
        chat_id="c",
        message_id=1,
        version=0,
        message_date=AT,
        received=AT,
    )
    result = TradeResult(intent_id="i1", user_id="u", status=Status.PLACED, latency_ms=1.5)
    first = TradeRecord(intent=intent, result=result, signal_ref="c:1", recorded_at=AT)
    second = replace(first, result=replace(result, detail="changed", notes=("a note",)))
    try:
        asyncio.run(store.save_trade(first))
        asyncio.run(store.save_trade(second))
        (read,) = asyncio.run(store.trades("u", "c:1"))
        changed = asyncio.run(
            store.update_trade("u", "i1", lambda r: replace(r, broker_symbol="XAUUSD"))
        )
        (after,) = asyncio.run(store.trades("u", "c:1"))
    finally:
        store.close()

    assert read == second
    assert changed is not None and after == changed and after.broker_symbol == "XAUUSD"
