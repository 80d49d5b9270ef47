"""One session's supervisor (services/fleet_sessions.SessionRunner) against the simulated Telegram
of fleet/sim (the edge tests/integration/test_listener.py uses), on simulated time, with the
runner's sleeps recorded: reconnect backoff with jitter from 1 s to 300 s, Telegram's flood
waits honoured to the second, and `users/{uid}/bot/status` written only when it changes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import pytest

from signal_copier.core.fleet import (
    SessionHealth,
    SessionLink,
    TelegramFloodWait,
    TelegramUnavailable,
    session_secret_name,
)
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import MemoryVault, Process
from signal_copier.fleet.sim.session import FakeSession
from signal_copier.fleet.sim.world import RecordingQueue, World
from signal_copier.services.fleet_parts import FleetDeps, FleetSettings
from signal_copier.services.fleet_publish import Publisher
from signal_copier.services.fleet_sessions import SessionRunner
from signal_copier.store.sqlite import SqliteStore

START = datetime(2026, 3, 2, 8, tzinfo=UTC)
USER, GOLD = "tg1", "-1007001"


@dataclass(frozen=True)
class Up:
    """The connection opens and Telegram ends it after `seconds` (None: it stays open)."""

    seconds: float | None = None
    flood_on_dialogs: int = 0  # Telegram answers the first dialogs request with a flood wait


Step = Up | BaseException  # what one connection attempt meets


class HealthLog(SqliteStore):
    """The SQLite store, remembering every bot status written."""

    def __init__(self) -> None:
        super().__init__(":memory:")
        self.written: list[SessionHealth] = []

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write the status and remember it."""
        self.written.append(health)
        await super().put_session_health(user_id, health)


class Host:
    """The listener as one session sees it: its lease allows running until `allowed` is False."""

    def __init__(self, deps: FleetDeps) -> None:
        self.deps, self.settings = deps, FleetSettings(shards=1)
        self.publisher = Publisher(deps.queue)
        self.allowed = True

    def may_run(self, shard: int) -> bool:
        return self.allowed

    def epoch(self, shard: int) -> int:
        return 1


class Harness:
    """A runner whose connection attempts meet `steps` in turn; after the last, its lease ends."""

    def __init__(self, loop: SimulatedLoop, steps: list[Step], seed: int) -> None:
        self.loop, self.steps = loop, list(steps)
        self.world = World(loop, random.Random(seed))
        self.world.add_chat(GOLD)
        self.world.join(USER, GOLD)
        self.process = Process("L1")
        self.store = HealthLog()
        self.opened: list[float] = []  # when each attempt began
        self.slept: list[float] = []  # the runner's waits between attempts
        self.vault = MemoryVault()
        deps = FleetDeps(
            store=self.store,
            queue=RecordingQueue(self.world, self.process),
            vault=self.vault,
            telegram=self,
            clock=loop.now,
            sleep=self._sleep,
            rng=random.Random(seed),
        )
        self.host = Host(deps)
        link = SessionLink(user_id=USER, shard=0, chats=(GOLD,))
        self.runner = SessionRunner(link, self.host, lambda user: None)

    def open(self, user_id: str, secret: bytes) -> Any:
        """Return the session for the next attempt (the TelegramSessions port)."""
        self.opened.append(self.loop.time())
        return _Attempt(self.world.session(self.process, user_id), self.steps.pop(0))

    async def run(self) -> None:
        await self.vault.put(session_secret_name(USER), b"session")
        await self.runner.run()

    async def _sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        if not self.steps:  # the script is over: the lease ends, so the supervisor returns
            self.host.allowed = False
        await asyncio.sleep(seconds)


class _Attempt:
    """A simulated session whose connect meets one scripted step."""

    def __init__(self, session: FakeSession, step: Step) -> None:
        self._session, self._step = session, step

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    async def connect(self) -> None:
        if isinstance(self._step, BaseException):
            raise self._step
        await self._session.connect()
        if self._step.seconds is not None:
            drop = self._session.disconnect  # Telegram (or the network) ends the connection
            asyncio.get_running_loop().call_later(self._step.seconds, asyncio.ensure_future, drop())

    async def dialogs(self) -> Any:
        if isinstance(self._step, Up) and self._step.flood_on_dialogs:
            raise TelegramFloodWait(self._step.flood_on_dialogs)
        return await self._session.dialogs()


def _run(
    steps: list[Step], seed: int = 0, during: Callable[[Harness], Awaitable[None]] | None = None
) -> Harness:
    loop = SimulatedLoop(START)
    harness = Harness(loop, steps, seed)

    async def scenario() -> None:
        if during is not None:
            asyncio.get_running_loop().create_task(during(harness))
        await harness.run()

    try:
        loop.run_until_complete(scenario())
    finally:
        loop.run_until_complete(_cancel_rest())
        loop.close()
    return harness


async def _cancel_rest() -> None:
    rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


FAIL = TelegramUnavailable("network: connection refused")


def test_reconnects_back_off_from_one_second_doubling_to_five_minutes_with_jitter() -> None:
    failing: list[Step] = [FAIL] * 12

    waits = [_run(failing, seed).slept[:12] for seed in (1, 2)]

    for attempt, wait in enumerate(waits[0], start=1):
        low, high = min(2 ** (attempt - 1), 150), min(2**attempt, 300)
        assert low <= wait < high, (attempt, wait)
    assert waits[0] != waits[1]  # jittered: a fleet that lost its network does not redial at once
    assert all(a != b for a, b in zip(*waits, strict=True))


def test_a_connection_that_ends_quickly_counts_as_a_failure_and_backs_off() -> None:
    waits = _run([Up(seconds=5)] * 4).slept[:4]

    for attempt, wait in enumerate(waits, start=1):
        assert 2 ** (attempt - 1) <= wait < 2**attempt, (attempt, wait)


def test_after_a_stable_connection_drops_the_first_redial_is_jittered_within_one_to_two_s() -> None:
    steps: list[Step] = [FAIL, FAIL, FAIL, Up(seconds=90), FAIL]

    runs = [_run(steps, seed) for seed in (1, 2, 3)]

    for run in runs:
        after_drop = run.slept[3]
        assert 1 <= after_drop < 2  # the failures before the stable connection are forgotten
        assert 1 <= run.slept[4] < 2
    assert len({run.slept[3] for run in runs}) == 3  # not every session at the same instant


@pytest.mark.parametrize("where", ["connect", "dialogs"])
def test_a_flood_wait_is_waited_out_to_the_second_then_the_session_connects(where: str) -> None:
    first: Step = TelegramFloodWait(37) if where == "connect" else Up(flood_on_dialogs=37)

    run = _run([first, Up(seconds=90)])

    assert run.slept[0] == 37
    assert run.opened[1] - run.opened[0] == pytest.approx(37, abs=1)
    assert [h.last_error for h in run.store.written if h.last_error] == ["flood_wait 37s"]
    assert any(h.connected for h in run.store.written[1:])


def test_the_bot_status_is_written_only_when_it_changes() -> None:
    async def chatter(h: Harness) -> None:
        await asyncio.sleep(10)
        for _ in range(10):  # ten messages within a minute: one last-message time is enough
            h.world.post(GOLD)
            await asyncio.sleep(6)

    run = _run([Up(seconds=200), FAIL, FAIL, FAIL, Up(seconds=60)], during=chatter)

    seen = [replace(h, updated=None, last_message_at=None) for h in run.store.written]
    assert seen == [
        SessionHealth(connected=True),  # connected and caught up
        SessionHealth(connected=True),  # the first message's time
        SessionHealth(connected=False),  # Telegram ended the connection
        SessionHealth(connected=False, last_error="TelegramUnavailable"),  # once, not 3 times
        SessionHealth(connected=True),  # back, the error cleared
        SessionHealth(connected=False),
    ]
    assert sum(h.last_message_at is not None for h in run.store.written[:2]) == 1
