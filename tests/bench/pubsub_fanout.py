"""The publish part of a fan-out: one signal's intents to 10,000 subscribers, on the emulator.

Reading the subscribers is the other part (the Firestore store's benchmark); together they
must stay within 5 s (issue 9).
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from google.cloud import pubsub_v1

from signal_copier.core import codec, ids
from signal_copier.core.model import Intent, IntentKind
from signal_copier.core.parsing import parse
from signal_copier.core.ports import Publication
from signal_copier.queue.pubsub import PubSubQueue

SIGNAL = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2670"


def intents(count: int, chat: str = "-1001234567890") -> list[Publication]:
    """Return `count` intents of one signal, one per subscriber, as the pipeline publishes them."""
    now = datetime.now(UTC)
    signal = parse(SIGNAL).signals[0]
    batch = []
    for n in range(count):
        user = ids.user_id(100_000 + n)
        intent = Intent(
            id=ids.intent_id(chat, 1, 0, user),
            user_id=user,
            kind=IntentKind.OPEN,
            chat_id=chat,
            message_id=1,
            version=0,
            message_date=now,
            received=now,
            signal=signal,
            trace_id=f"{chat}:1:0",
        )
        attributes = {"trace": intent.trace_id, "user": user, "chat": chat}
        batch.append(Publication(payload=codec.to_dict(intent), attributes=attributes))
    return batch


async def publish_fanout(project: str, count: int) -> dict[str, Any]:
    """Publish `count` intents to a fresh topic on the emulator; return the timings."""
    publisher = pubsub_v1.PublisherClient()
    topic = f"bench-intents-{uuid.uuid4().hex[:8]}"
    path = publisher.topic_path(project, topic)
    publisher.create_topic(name=path)
    queue = PubSubQueue(project, publish_timeout=60)
    try:
        batch = intents(count)
        began = time.perf_counter()
        await queue.publish_many(topic, batch)
        elapsed = time.perf_counter() - began
    finally:
        await queue.aclose()
        publisher.delete_topic(topic=path)
        publisher.stop()
    return {"messages": count, "seconds": elapsed, "per_s": count / elapsed}
