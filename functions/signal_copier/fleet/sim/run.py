"""Run the real listeners (services/fleet.py, core/leases.py, the SQLite store) in a simulated
world for a while, inject crashes and long pauses, and account for every message.

Time is simulated (clock.SimulatedLoop), so an hour of fleet life takes seconds; everything
random comes from one seed, so a run is repeatable.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from signal_copier.core.fleet import SessionLink, session_secret_name
from signal_copier.core.leases import shard_of
from signal_copier.core.records import Subscription
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import (
    DelayedStore,
    Delays,
    MemoryVault,
    Process,
    ProcessDead,
)
from signal_copier.fleet.sim.world import RecordingQueue, World, post_version
from signal_copier.services.fleet import FleetDeps, FleetSettings, Listener
from signal_copier.store.sqlite import SqliteStore

START = datetime(2026, 3, 2, 8, tzinfo=UTC)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """What to simulate. Rates are expected events per listener per minute."""

    listeners: int = 20
    users: int = 10_000
    minutes: float = 10.0
    seed: int = 1
    crash_rate: float = 0.02
    pause_rate: float = 0.01
    settings: FleetSettings = field(default_factory=FleetSettings)
    delays: Delays = field(default_factory=Delays)
    messages_per_s: float = 1.0
    edit_share: float = 0.1
    warmup_s: float = 60.0  # every session connects before faults and messages begin
    settle_s: float = 150.0  # no faults or messages: every takeover completes


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The simulation's outcome (the first six keys are the CLI's contract).

    - double_owner_events: a session connected while another connection of it was still open
      at Telegram (a paused process's counts until the delay its last ping asked for).
    - max_takeover_s: the longest time from a listener's crash or pause to the next connection
      of each of its sessions.
    - lost_messages: messages whose latest version (as the channel shows it at the end) was
      never published.
    - duplicate_publishes: publishes beyond the first of each (chat, message, version): the
      same message seen by sessions of different listeners, and re-publishes after takeovers;
      the pipeline's dedupe absorbs them. stale_epoch_publishes counts those sent under an
      epoch older than one already seen for the same session.
    """

    double_owner_events: int
    max_takeover_s: float
    lost_messages: int
    duplicate_publishes: int
    sessions_running_at_end: int
    users: int
    messages_posted: int
    publishes: int
    stale_epoch_publishes: int
    crashes: int
    pauses: int
    takeovers: int


def simulate(scenario: Scenario) -> Report:
    """Run a scenario to the end on a simulated clock and return its report."""
    loop = SimulatedLoop(START)
    loop.set_exception_handler(_quiet_about_dead_processes)
    try:
        return loop.run_until_complete(_Simulation(scenario, loop).run())
    finally:
        loop.run_until_complete(_cancel_the_rest())
        loop.close()


class _Slot:
    """A listener position in the worker pool: one process at a time, restarted after a crash."""

    def __init__(self, index: int) -> None:
        self.index, self.incarnation = index, 0
        self.process: Process | None = None
        self.listener: Listener | None = None
        self.task: asyncio.Task[None] | None = None
        self.stop = asyncio.Event()


class _Simulation:
    def __init__(self, scenario: Scenario, loop: SimulatedLoop) -> None:
        self.scenario, self.loop = scenario, loop
        self.rng = random.Random(scenario.seed)
        self.world = World(loop, random.Random(self.rng.random()))
        self.store = SqliteStore(":memory:")
        self.vault = MemoryVault()
        self.slots = [_Slot(n) for n in range(scenario.listeners)]
        self.crashes = self.pauses = 0

    async def run(self) -> Report:
        s = self.scenario
        await self._populate()
        for slot in self.slots:
            self._start(slot)
        await asyncio.sleep(s.warmup_s)
        chaos = s.minutes * 60
        await asyncio.gather(self._post(chaos), *(self._faults(slot, chaos) for slot in self.slots))
        await asyncio.sleep(s.settle_s)
        report = self._report()
        await self._shutdown()
        self.store.close()
        return report

    async def _populate(self) -> None:
        s, world = self.scenario, self.world
        chats = [f"-100{7000 + n}" for n in range(max(5, s.users // 20))]
        for chat in chats:
            world.add_chat(chat)
        weights = [1 / (rank + 1) ** 0.8 for rank in range(len(chats))]  # a few popular channels
        for n in range(s.users):
            user = f"tg{100_000 + n}"
            for chat in set(self.rng.choices(chats, weights, k=self.rng.randint(1, 3))):
                world.join(user, chat)
                await self.store.add_subscription(Subscription(user_id=user, chat_id=chat), None)
            shard = shard_of(user, s.settings.shards)
            await self.store.link_session(SessionLink(user_id=user, shard=shard))
            await self.vault.put(session_secret_name(user), user.encode())
        self._chats, self._weights = chats, weights

    def _start(self, slot: _Slot) -> None:
        slot.incarnation += 1
        process = Process(f"L{slot.index}#{slot.incarnation}")
        rng = random.Random(self.rng.random())
        deps = FleetDeps(
            store=DelayedStore(self.store, process, self.scenario.delays, rng).as_port(),
            queue=RecordingQueue(self.world, process),
            vault=self.vault,
            telegram=_Sessions(self.world, process),
            clock=self.loop.now,
            sleep=process.sleep,
            rng=rng,
        )
        slot.process, slot.stop = process, asyncio.Event()
        slot.listener = Listener(deps, self.scenario.settings, owner=process.name)
        slot.task = asyncio.create_task(slot.listener.run(slot.stop))

    async def _faults(self, slot: _Slot, duration: float) -> None:
        s, timing = self.scenario, self.scenario.settings.timing
        rate = (s.crash_rate + s.pause_rate) / 60
        ends = self.loop.time() + duration
        while rate > 0:
            gap = self.rng.expovariate(rate)
            if self.loop.time() + gap >= ends:
                return
            await asyncio.sleep(gap)
            process = slot.process
            assert process is not None
            assert slot.task is not None
            if self.rng.random() < s.crash_rate / (s.crash_rate + s.pause_rate):
                self.crashes += 1
                process.crash()
                self.world.failed(process)
                slot.task.cancel()
                await asyncio.sleep(self.rng.uniform(5, 30))  # Cloud Run starts a new instance
                self._start(slot)
            else:
                self.pauses += 1
                process.pause(self.loop.time())
                self.world.failed(process)
                ttl = timing.ttl.total_seconds()
                await asyncio.sleep(self.rng.uniform(ttl + 1, 2 * ttl + 30))
                process.resume()

    async def _post(self, duration: float) -> None:
        s, ends = self.scenario, self.loop.time() + duration
        while True:
            gap = self.rng.expovariate(s.messages_per_s)
            if self.loop.time() + gap >= ends:
                return
            await asyncio.sleep(gap)
            chat = self.rng.choices(self._chats, self._weights)[0]
            if self.rng.random() < s.edit_share:
                self.world.edit(chat, back=20)
            else:
                self.world.post(chat)

    def _report(self) -> Report:
        world = self.world
        published = world.published.count
        lost = 0
        for chat, posts in world.chats.items():
            for post in posts:
                lost += f"{chat}:{post.message_id}:{post_version(post)}" not in published
        return Report(
            double_owner_events=world.double_owner_events,
            max_takeover_s=round(max(world.back, default=0.0), 3),
            lost_messages=lost,
            duplicate_publishes=sum(published.values()) - len(published),
            sessions_running_at_end=world.running(),
            users=self.scenario.users,
            messages_posted=sum(len(posts) for posts in world.chats.values()),
            publishes=sum(published.values()),
            stale_epoch_publishes=world.published.stale_epoch,
            crashes=self.crashes,
            pauses=self.pauses,
            takeovers=len(world.back),
        )

    async def _shutdown(self) -> None:
        for slot in self.slots:
            slot.stop.set()
        tasks = [slot.task for slot in self.slots if slot.task is not None]
        await asyncio.wait(tasks, timeout=30)


class _Sessions:
    def __init__(self, world: World, process: Process) -> None:
        self._world, self._process = world, process

    def open(self, user_id: str, secret: bytes) -> Any:
        return self._world.session(self._process, user_id)


async def _cancel_the_rest() -> None:
    pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def _quiet_about_dead_processes(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if isinstance(context.get("exception"), ProcessDead):
        return  # a crashed process's unfinished work: expected
    loop.default_exception_handler(context)
