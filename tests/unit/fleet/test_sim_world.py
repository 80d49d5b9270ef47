"""The simulated Telegram counts what the fleet simulation must never see."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import Process
from signal_copier.fleet.sim.world import World

START = datetime(2026, 3, 2, tzinfo=UTC)


def _run(scenario):  # type: ignore[no-untyped-def]
    loop = SimulatedLoop(START)
    try:
        return loop.run_until_complete(scenario(loop, World(loop, random.Random(1))))
    finally:
        loop.close()


def test_two_open_connections_of_one_session_are_a_double_owner() -> None:
    async def scenario(loop: SimulatedLoop, world: World) -> int:
        a, b = world.session(Process("a"), "u1"), world.session(Process("b"), "u1")
        await a.connect()
        await b.connect()
        return world.double_owner_events

    assert _run(scenario) == 1


def test_a_frozen_connection_counts_until_its_ping_deadline_passes() -> None:
    async def scenario(loop: SimulatedLoop, world: World) -> list[int]:
        old = Process("old")
        a = world.session(old, "u1")
        await a.connect()
        await a.keepalive(20)
        old.pause(loop.time())
        await asyncio.sleep(19)
        early_session = world.session(Process("early"), "u1")
        await early_session.connect()
        early = world.double_owner_events
        await early_session.disconnect()
        await asyncio.sleep(5)
        await world.session(Process("late"), "u1").connect()
        return [early, world.double_owner_events]

    assert _run(scenario) == [1, 1]  # the late connect came after Telegram dropped `old`


def test_a_crashed_process_closes_its_connections_at_once() -> None:
    async def scenario(loop: SimulatedLoop, world: World) -> tuple[int, int]:
        dead = Process("dead")
        await world.session(dead, "u1").connect()
        dead.crash()
        world.failed(dead)
        await world.session(Process("next"), "u1").connect()
        return world.double_owner_events, world.running()

    assert _run(scenario) == (0, 1)


def test_a_simulated_hour_passes_without_waiting() -> None:
    async def scenario(loop: SimulatedLoop, world: World) -> float:
        await asyncio.sleep(3600)
        return loop.time()

    assert _run(scenario) == 3600
