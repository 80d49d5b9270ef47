"""The listener service on SQLite with simulated Telegram sessions and a simulated clock:
publishing once, watermarks and gap fill, lost chats, revoked sessions, draining."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signal_copier.broker.paper import PaperBroker
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.fleet import (
    LinkState,
    NoticeKind,
    SessionLink,
    SessionRevoked,
    session_secret_name,
)
from signal_copier.core.ids import DELETED_VERSION
from signal_copier.core.records import Subscription
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import MemoryVault, Process
from signal_copier.fleet.sim.session import FakeSession
from signal_copier.fleet.sim.world import RecordingQueue, World
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services import disconnect
from signal_copier.services.deps import Deps
from signal_copier.services.fleet import FleetDeps, FleetSettings, Listener
from signal_copier.services.webdeps import WebDeps
from signal_copier.store.sqlite import SqliteStore
from signal_copier.telegram.offline import OfflineTelegramLogin

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
GOLD, SILVER = "-1007001", "-1007002"


class Harness:
    def __init__(self, loop: SimulatedLoop) -> None:
        self.loop = loop
        self.world = World(loop, random.Random(3))
        self.store = SqliteStore(":memory:")
        self.vault = MemoryVault()
        self.revoked: set[str] = set()
        for chat in (GOLD, SILVER):
            self.world.add_chat(chat)

    async def user(
        self, user: str, chats: tuple[str, ...], *, member_of: tuple[str, ...] | None = None
    ) -> None:
        for chat in member_of if member_of is not None else chats:
            self.world.join(user, chat)
        for chat in chats:
            await self.store.add_subscription(Subscription(user_id=user, chat_id=chat), None)
        await self.store.link_session(SessionLink(user_id=user, shard=0))
        await self.vault.put(session_secret_name(user), b"session")

    def listener(self, name: str) -> tuple[Listener, asyncio.Event, asyncio.Task[None]]:
        process = Process(name)
        harness = self

        class Sessions:
            def open(self, user_id: str, secret: bytes) -> Any:
                session = harness.world.session(process, user_id)
                if user_id in harness.revoked:
                    return _Revoked(session)
                return session

        deps = FleetDeps(
            store=self.store,
            queue=RecordingQueue(self.world, process),
            vault=self.vault,
            telegram=Sessions(),
            clock=self.loop.now,
            sleep=process.sleep,
        )
        listener = Listener(deps, FleetSettings(shards=1), owner=name)
        stop = asyncio.Event()
        return listener, stop, asyncio.create_task(listener.run(stop))

    async def unlink(self, user: str) -> int:
        """Unlink the user's Telegram in the dashboard (the API's service, same store and vault)."""
        deps = Deps(
            store=self.store, queue=InProcessQueue(), vault=self.vault, broker=PaperBroker()
        )
        web = WebDeps(deps=deps, web=self.store, fleet=self.store, telegram=OfflineTelegramLogin())
        unlinked = await disconnect.unlink_telegram(web, user, self.loop.now(), "203.0.113.9")
        return unlinked.unfollowed

    def connected(self, user: str) -> bool:
        now = self.loop.time()
        return any(c.open_at(now) for c in self.world.connections.get(user, []))

    def published(self, chat: str) -> dict[str, int]:
        return {k: n for k, n in self.world.published.count.items() if k.startswith(chat + ":")}


class _Revoked:
    def __init__(self, session: FakeSession) -> None:
        self._session = session

    def on_message(self, handler: Any) -> None:
        self._session.on_message(handler)

    async def connect(self) -> None:
        raise SessionRevoked("revoked by the user in Telegram settings")

    async def disconnect(self) -> None:
        await self._session.disconnect()


def _run(scenario: Callable[[Harness], Awaitable[Any]]) -> Any:
    loop = SimulatedLoop(START)
    try:
        return loop.run_until_complete(scenario(Harness(loop)))
    finally:
        loop.run_until_complete(_cancel_rest())
        loop.close()


async def _cancel_rest() -> None:
    rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def test_a_message_seen_by_two_sessions_is_published_once() -> None:
    async def scenario(h: Harness) -> dict[str, int]:
        await h.user("tg1", (GOLD,))
        await h.user("tg2", (GOLD,))
        h.listener("L1")
        await asyncio.sleep(10)
        h.world.post(GOLD)
        h.world.post(GOLD)
        await asyncio.sleep(5)
        return h.published(GOLD)

    assert _run(scenario) == {f"{GOLD}:1:0": 1, f"{GOLD}:2:0": 1}


def test_a_deletion_seen_by_two_sessions_is_published_once() -> None:
    async def scenario(h: Harness) -> dict[str, int]:
        await h.user("tg1", (GOLD,))
        await h.user("tg2", (GOLD,))
        h.listener("L1")
        await asyncio.sleep(10)
        h.world.post(GOLD)
        h.world.post(GOLD)
        await asyncio.sleep(5)
        h.world.delete(GOLD, 1)
        await asyncio.sleep(60)
        return h.published(GOLD)

    assert _run(scenario) == {
        f"{GOLD}:1:0": 1,
        f"{GOLD}:2:0": 1,
        f"{GOLD}:1:{DELETED_VERSION}": 1,
    }


def test_messages_posted_while_nobody_listened_are_filled_in_after_a_takeover() -> None:
    async def scenario(h: Harness) -> dict[str, int]:
        await h.user("tg1", (GOLD,))
        _, stop, task = h.listener("L1")
        await asyncio.sleep(10)
        h.world.post(GOLD)
        await asyncio.sleep(5)
        stop.set()  # drained: leases handed back, watermarks written
        await task
        for _ in range(3):
            h.world.post(GOLD)
        h.listener("L2")
        await asyncio.sleep(10)
        return h.published(GOLD)

    assert _run(scenario) == {
        f"{GOLD}:1:0": 1,
        f"{GOLD}:2:0": 1,
        f"{GOLD}:3:0": 1,
        f"{GOLD}:4:0": 1,
    }


def test_an_edit_made_during_an_outage_is_published_after_the_takeover() -> None:
    async def scenario(h: Harness) -> set[str]:
        await h.user("tg1", (GOLD,))
        _, stop, task = h.listener("L1")
        await asyncio.sleep(10)
        h.world.post(GOLD)
        await asyncio.sleep(5)
        stop.set()
        await task
        await asyncio.sleep(120)
        h.world.edit(GOLD, back=1)
        h.listener("L2")
        await asyncio.sleep(10)
        return set(h.published(GOLD))

    keys = _run(scenario)
    assert len(keys) == 2 and any(not k.endswith(":0") for k in keys)


def test_a_chat_the_session_cannot_read_is_unfollowed_and_the_user_told() -> None:
    async def scenario(h: Harness) -> tuple[list[str], list[NoticeKind]]:
        await h.user("tg1", (GOLD, SILVER), member_of=(GOLD,))
        h.listener("L1")
        await asyncio.sleep(10)
        subs = [s.chat_id for s in await h.store.subscriptions("tg1")]
        return subs, [n.kind for n in await h.store.notices("tg1")]

    assert _run(scenario) == ([GOLD], [NoticeKind.CHAT_ACCESS_LOST])


def test_a_revoked_session_is_marked_broken_and_never_retried() -> None:
    async def scenario(h: Harness) -> tuple[Any, int, list[NoticeKind], int]:
        await h.user("tg1", (GOLD,))
        h.revoked.add("tg1")
        listener, _, _ = h.listener("L1")
        await asyncio.sleep(120)
        status = await h.store.session_health("tg1")
        notices = [n.kind for n in await h.store.notices("tg1")]
        return status, await h.store.session_count(), notices, listener.sessions_running

    status, linked, notices, running = _run(scenario)
    assert status.link is LinkState.BROKEN and not status.connected
    assert linked == 0 and running == 0
    assert notices == [NoticeKind.TELEGRAM_LINK_BROKEN]


def test_an_unlinked_session_is_stopped_at_the_next_roster_read_and_publishes_no_more() -> None:
    async def scenario(h: Harness) -> dict[str, Any]:
        await h.user("tg1", (GOLD,))
        await h.user("tg2", (SILVER,))  # another user's session runs on
        listener, _, _ = h.listener("L1")
        await asyncio.sleep(10)
        before = sorted(listener.runners)
        h.world.post(GOLD)
        await asyncio.sleep(1)
        unlinked_at = h.loop.time()
        unfollowed = await h.unlink("tg1")
        while h.connected("tg1"):  # noqa: ASYNC110 (simulated time: polling is free)
            await asyncio.sleep(0.5)
        stopped_after = h.loop.time() - unlinked_at
        h.world.post(GOLD)
        h.world.post(SILVER)
        await asyncio.sleep(5)
        return {
            "before": before,
            "after": sorted(listener.runners),
            "unfollowed": unfollowed,
            "stopped_after": stopped_after,
            "roster_every": listener.settings.roster_every.total_seconds(),
            "gold": h.published(GOLD),
            "silver": h.published(SILVER),
            "notices": await h.store.notices("tg1"),
            "health": await h.store.session_health("tg1"),
            "linked": await h.store.session_count(),
            "marks": await h.store.watermarks("tg1"),
        }

    found = _run(scenario)
    assert found["before"] == ["tg1", "tg2"] and found["after"] == ["tg2"]
    assert found["unfollowed"] == 1
    assert found["stopped_after"] <= found["roster_every"]
    assert found["gold"] == {f"{GOLD}:1:0": 1}  # the post after the unlink reached no one
    assert found["silver"] == {f"{SILVER}:1:0": 1}
    assert found["notices"] == [] and found["health"] is None and found["linked"] == 1
    assert found["marks"] == {}  # stopping it wrote none back


def test_an_unlinked_session_that_drops_is_not_reconnected_nor_reported_broken() -> None:
    async def scenario(h: Harness) -> tuple[int, bool, list[Any], Any]:
        await h.user("tg1", (GOLD,))
        listener, _, _ = h.listener("L1")
        await asyncio.sleep(10)
        await h.unlink("tg1")
        for connection in h.world.connections["tg1"]:
            connection.close()  # before the roster read: the supervisor tries to reconnect
        await asyncio.sleep(30)
        notices = await h.store.notices("tg1")
        return (
            listener.sessions_running,
            h.connected("tg1"),
            notices,
            await h.store.session_health("tg1"),
        )

    running, connected, notices, health = _run(scenario)
    assert running == 0 and not connected
    assert notices == [] and health is None


def test_a_drained_listener_hands_its_shard_over_at_once() -> None:
    async def scenario(h: Harness) -> float:
        await h.user("tg1", (GOLD,))
        _, stop, task = h.listener("L1")
        await asyncio.sleep(10)
        stop.set()
        await task
        stopped = h.loop.time()
        second, _, _ = h.listener("L2")
        while second.sessions_running == 0 or not h.world.running():  # noqa: ASYNC110
            await asyncio.sleep(0.5)
        return h.loop.time() - stopped

    assert _run(scenario) < 5


def test_a_listener_that_cannot_renew_stops_its_sessions_before_the_lease_ends() -> None:
    async def scenario(h: Harness) -> tuple[float, float]:
        await h.user("tg1", (GOLD,))
        listener, _, _ = h.listener("L1")
        await asyncio.sleep(10)
        until = listener.held[0].until
        store = listener.deps.store

        async def refuse(*args: Any, **kwargs: Any) -> dict[int, Any]:
            return {}

        object.__setattr__(listener.deps, "store", _RenewalsLost(store, refuse))
        while h.world.running():  # noqa: ASYNC110 (simulated time: polling is free)
            await asyncio.sleep(0.5)
        return h.loop.time(), (until - START).total_seconds()

    stopped_at, lease_end = _run(scenario)
    assert stopped_at < lease_end


class _RenewalsLost:
    def __init__(self, store: Any, renew: Any) -> None:
        self._store, self.renew = store, renew

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


def test_settings_refuse_pings_slower_than_telegrams_disconnect_delay() -> None:
    with pytest.raises(InvalidSettings, match="ping_every"):
        FleetSettings(ping_every=timedelta(seconds=25))
