"""A late opening's intent (its reserved version) keeps its claim, record and id on both stores."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from signal_copier.core import ids
from signal_copier.core.model import Intent, IntentKind, Side, Signal, Status, TradeResult
from signal_copier.core.ports import Store
from signal_copier.core.records import ClaimState
from signal_copier.services.late_opening import late_intent
from signal_copier.services.records import trade_record
from signal_copier.stack.emulators import Emulators
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.sqlite import SqliteStore

NOW = datetime(2026, 3, 3, 12, 5, 10, tzinfo=UTC)
LEASE = timedelta(seconds=60)
COMPLETED = Signal(
    symbol="XAUUSD", side=Side.BUY, entry=D("2650"), sl=D("2640"), tps=(D("2660"), D("2670"))
)
SIGNAL = Intent(
    id=ids.intent_id("-100123", 7, 0, "tg1"),
    user_id="tg1",
    kind=IntentKind.OPEN,
    chat_id="-100123",
    message_id=7,
    version=0,
    message_date=NOW,
    received=NOW,
    signal=Signal(symbol="XAUUSD", side=Side.BUY, entry=D("2650")),
)


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    if request.param == "sqlite":
        yield SqliteStore(":memory:")
        return
    emulators: Emulators = request.getfixturevalue("firestore_emulator")
    async with FirestoreStore(emulators.project) as firestore_store:
        yield firestore_store


async def test_a_late_opening_expired_mid_way_comes_back_whole_for_the_sweep(store: Store) -> None:
    # Arrange
    late = late_intent(SIGNAL, COMPLETED)
    await store.claim(late, "w1", NOW, LEASE)

    # Act
    expired = await store.expired_claims(NOW + 2 * LEASE, 10)

    # Assert: the sweep re-publishes it as a genuine intent of the signal's message
    assert expired == [late]
    assert late.id == ids.intent_id("-100123", 7, ids.LATE_OPENING_VERSION, "tg1")
    assert late.id != SIGNAL.id


async def test_a_finished_late_opening_reads_as_done_and_as_one_of_the_signals_trades(
    store: Store,
) -> None:
    # Arrange
    late = late_intent(SIGNAL, COMPLETED)
    result = TradeResult(intent_id=late.id, user_id="tg1", status=Status.PLACED, symbol="XAUUSD")
    await store.claim(late, "w1", NOW, LEASE)

    # Act
    await store.finish(late.id, "w1", NOW, trade_record(late, result, NOW))
    again = await store.claim(late, "w2", NOW, LEASE)

    # Assert
    assert again.state is ClaimState.DONE
    assert await store.claim_states([late.id]) == {late.id: ClaimState.DONE}
    trades = await store.trades("tg1", ids.signal_ref("-100123", 7))
    assert [(t.intent.id, t.intent.version, t.signal) for t in trades] == [
        (late.id, ids.LATE_OPENING_VERSION, COMPLETED)
    ]
