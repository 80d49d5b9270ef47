"""A re-entry's message record and its parked intent survive Firestore (the emulator) exactly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from signal_copier.core.model import Action, Command, Intent, IntentKind, OrderType, Side
from signal_copier.core.records import MessageRecord, ParkedIntent
from signal_copier.stack.emulators import Emulators
from signal_copier.store.firestore import FirestoreStore

NOW = datetime(2026, 3, 3, 12, 5, 10, tzinfo=UTC)
AGAIN = Command(
    action=Action.REENTER,
    side=Side.SELL,
    entry_range=(D("2655"), D("2658")),
    order_type=OrderType.LIMIT,
    sl=D("2662"),
    tps=(D("2640"), D("2630")),
)


@pytest.fixture
async def store(firestore_emulator: Emulators) -> AsyncIterator[FirestoreStore]:
    async with FirestoreStore(firestore_emulator.project) as firestore_store:
        yield firestore_store


async def test_a_reentry_message_and_its_parked_intent_read_back_as_written(
    store: FirestoreStore,
) -> None:
    # Arrange
    record = MessageRecord(
        key="-100123:21:0",
        chat_id="-100123",
        message_id=21,
        version=0,
        date=NOW,
        kind="reenter",
        command=AGAIN,
        reply_to=20,
    )
    intent = Intent(
        id="i21",
        user_id="tg1",
        kind=IntentKind.COMMAND,
        chat_id="-100123",
        message_id=21,
        version=0,
        message_date=NOW,
        received=NOW,
        reply_to=20,
        command=AGAIN,
    )
    lease = timedelta(seconds=60)

    # Act
    await store.remember_message("-100123", 21, 0, lambda history: record)
    await store.claim(intent, "w1", NOW, lease)
    await store.park(ParkedIntent(intent=intent, awaiting=20, until=NOW + lease), "w1")
    stored = await store.latest_message("-100123", 21)
    due = await store.due_parked(NOW + 2 * lease, 10)

    # Assert
    assert stored is not None and stored.command == AGAIN
    assert due == [intent]
