"""The read part of a fan-out: a chat's 10,000 subscribers from the Firestore emulator.

Publishing the intents is the other part (pubsub_fanout.py); together they must stay within
5 s (issue 9). The emulator alone needs ~2.5 s to stream 10,000 documents: the raw stream is
timed beside the store's paged read so the two can be compared on a busy machine.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from signal_copier.core.records import Subscription
from signal_copier.store.firestore import FirestoreStore
from signal_copier.store.firestore.encoding import to_native


async def read_subscribers(project: str, count: int, rounds: int = 3) -> dict[str, Any]:
    """Seed a fresh chat with `count` followers; time the store reading them `rounds` times.

    The read is the store's own paged listing (`subscriber_pages`, decoded records), as a
    fan-out does it: best and median of the full reads, the first page's arrival, and one
    raw unpaged stream of the same documents without decoding (the floor).
    """
    chat = f"-100{time.time_ns()}"  # a fresh chat: never wipe an emulator that may be shared
    async with FirestoreStore(project) as store:
        for start in range(0, count, 500):  # seed in batches (500 writes per commit)
            batch = store.db.batch()
            for n in range(start, min(start + 500, count)):
                follower = Subscription(user_id=f"tg{n:07}", chat_id=chat)
                ref = store.doc("chats", chat, "subscribers", follower.user_id)
                batch.set(ref, to_native(follower))
            await batch.commit()
        totals, firsts, raws, read = [], [], [], 0
        for _ in range(rounds):
            began, first, read = time.perf_counter(), 0.0, 0
            async for page in store.subscriber_pages(chat):
                first = first or time.perf_counter() - began
                read += len(page)
            totals.append(time.perf_counter() - began)
            firsts.append(first)
            began = time.perf_counter()
            async for _snapshot in store.db.collection("chats", chat, "subscribers").stream():
                pass
            raws.append(time.perf_counter() - began)
        return {
            "subscribers": read,
            "best_s": min(totals),
            "median_s": statistics.median(totals),
            "first_page_s": min(firsts),
            "raw_stream_s": min(raws),
            "page_size": store.page_size,
        }
