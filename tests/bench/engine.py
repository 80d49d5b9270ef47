"""Engine benchmarks: replay rate as history grows, and broker round trips per opening."""

from __future__ import annotations

import asyncio
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.config import Settings
from signal_copier.core.market import Credentials
from signal_copier.core.model import RawMessage
from signal_copier.core.records import Plan
from signal_copier.core.timeline import with_previous_ids
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import accounts, demo
from signal_copier.services.deps import Deps
from signal_copier.services.local import LocalPipeline
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram import replay
from signal_copier.vault.local import LocalVault

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "demo_channel.jsonl"
ROUND_TRIP_S = 0.02  # each broker call takes this long in the round-trip benchmark


def long_channel(messages: int) -> list[replay.ReplayEvent]:
    """Return the demo channel repeated with fresh message ids until `messages` messages.

    Each message's previous_id is set again over the whole timeline, as a listener sets it
    (the chat's last message): a repeat's messages follow the repeat before them, instead of
    pointing back into the first one (which made every follow-up walk back through the whole
    replay, a cost no real channel has).
    """
    base = replay.load(DEMO)
    span = base[-1].at - base[0].at + timedelta(minutes=5)
    events: list[replay.ReplayEvent] = []
    count, round_ = 0, 0
    while count < messages:
        shift, offset = span * round_, 100_000 * round_
        for event in base:
            message = event.message
            if message is not None:
                if count >= messages:
                    break
                count += 1
                message = replace(
                    message,
                    message_id=message.message_id + offset,
                    reply_to=None if message.reply_to is None else message.reply_to + offset,
                    date=message.date + shift,
                    received=message.received + shift,
                    edit_date=None if message.edit_date is None else message.edit_date + shift,
                    previous_id=None,
                )
            events.append(replace(event, at=event.at + shift, message=message))
        round_ += 1
    return with_previous_ids(events)


def replay_rate(messages: int) -> dict[str, float]:
    """Replay `messages` channel messages through the demo end to end; return messages/s.

    Also the demo's own p50/p99 per message (message in → every user's orders placed).
    """
    events = long_channel(messages)
    users = tuple(replace(u, plan=Plan.PREMIUM) for u in demo.DEMO_USERS)
    with tempfile.TemporaryDirectory() as folder:
        settings = replace(Settings.from_env({}), data_dir=Path(folder))
        runtime = bootstrap.build_local(settings, start=events[0].at, durable=False)  # as the demo
        began, cpu = time.perf_counter(), time.process_time()
        try:
            summary = asyncio.run(
                demo.run(events, runtime.deps, runtime.queue, runtime.broker, None, users)
            )
        finally:
            runtime.close()
        elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return {
        "messages": messages,
        "per_s": messages / elapsed,
        "seconds": elapsed,
        "per_cpu_s": messages / cpu,  # by this process's CPU time: steadier on a shared machine
        "p50_ms": summary["latency_ms"]["p50"],
        "p99_ms": summary["latency_ms"]["p99"],
    }


class _Timed:
    """A broker account whose every call takes ROUND_TRIP_S; notes when the first order went."""

    def __init__(self, inner: Any, began: list[float], first_order: list[float]) -> None:
        self._inner, self._began, self._first = inner, began, first_order

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            if name == "place" and not self._first:
                self._first.append(time.perf_counter() - self._began[0])
            await asyncio.sleep(ROUND_TRIP_S)
            return await real(*args, **kwargs)

        return call


class _TimedBroker:
    def __init__(self, paper: PaperBroker, began: list[float], first: list[float]) -> None:
        self._paper, self._began, self._first = paper, began, first

    async def connect(self, user_id: str, credentials: Credentials) -> Any:
        await asyncio.sleep(ROUND_TRIP_S)  # a new connection costs a round trip too
        return _Timed(await self._paper.connect(user_id, credentials), self._began, self._first)

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        await self._paper.disconnect(user_id, keep=keep)


async def round_trips(settings: dict[str, Any]) -> float:
    """Return the broker round trips before the first order of an opening (a warm cache)."""
    with tempfile.TemporaryDirectory() as folder:
        paper = PaperBroker()
        began: list[float] = [0.0]
        first: list[float] = []
        store = SqliteStore(":memory:")
        queue = InProcessQueue()
        vault = LocalVault(Path(folder) / "k", Path(folder) / "s")
        deps = Deps(store=store, queue=queue, vault=vault, broker=_TimedBroker(paper, began, first))
        await accounts.register_user(
            deps, "u", Plan.PREMIUM, {"max_signal_age_s": 3600, **settings}
        )
        paper.open_account("acc-u", balance=demo.DEMO_USERS[1].balance)
        await accounts.save_credentials(deps, "u", Credentials(account_id="acc-u"))
        await accounts.follow_channel(deps, "u", "c")
        pipeline = LocalPipeline(deps, queue, paper, {}, paper.now)
        for number in (1, 2):  # the first opening warms the symbol cache; the second is timed
            text = f"XAUUSD BUY NOW\nSL 2640\nTP1 2660\nTP2 2670\n#{number}"
            at = paper.now
            first.clear()
            began[0] = time.perf_counter()
            await pipeline.message(
                RawMessage(chat_id="c", message_id=number, text=text, date=at, received=at), at
            )
        store.close()
        return first[0] / ROUND_TRIP_S
