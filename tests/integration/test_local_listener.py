"""Local mode's live source: the listener publishes into the local pipeline (`run --config` with
a telegram source), here with a simulated Telegram session and a simulated clock."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from signal_copier import bootstrap
from signal_copier.config import Settings
from signal_copier.core import ids
from signal_copier.core.fleet import SessionLink, session_secret_name
from signal_copier.core.leases import shard_of
from signal_copier.core.records import Plan
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import Process
from signal_copier.fleet.sim.world import World
from signal_copier.services import demo
from signal_copier.services.fleet import FleetDeps
from signal_copier.services.fleet_local import PipelineQueue, listen
from signal_copier.services.local import LocalPipeline

START = datetime(2026, 3, 2, 9, tzinfo=UTC)
CHAT = "-1001234567890"


def test_a_live_post_reaches_the_pipeline_once_and_is_parsed(tmp_path: Path) -> None:
    loop = SimulatedLoop(START)

    async def scenario() -> tuple[Any, int]:
        settings = replace(Settings.from_env({}), data_dir=tmp_path)
        runtime = bootstrap.build_local(settings, start=START, database=":memory:")
        user = demo.DemoUser(user_id="me", plan=Plan.PREMIUM, balance=Decimal(10_000), settings={})
        await demo.onboard(runtime.deps, runtime.broker, [user], [CHAT])
        await runtime.deps.vault.put(session_secret_name("me"), b"session")
        await runtime.store.link_session(SessionLink(user_id="me", shard=shard_of("me", 1024)))
        world, process = World(loop, random.Random(1)), Process("local")
        world.add_chat(CHAT)
        world.join("me", CHAT)
        pipeline = LocalPipeline(runtime.deps, runtime.queue, runtime.broker, {}, START)
        queue = PipelineQueue(pipeline, loop.now)

        class Sessions:
            def open(self, user_id: str, secret: bytes) -> Any:
                return world.session(process, user_id)

        deps = FleetDeps(
            store=runtime.store,
            queue=queue,
            vault=runtime.deps.vault,
            telegram=Sessions(),
            clock=loop.now,
        )
        stop = asyncio.Event()
        running = asyncio.create_task(listen(deps, stop))
        await asyncio.sleep(5)
        chat, message_id, version = world.post(CHAT)
        await asyncio.sleep(5)
        stop.set()
        await running
        record = await runtime.store.message(ids.message_key(chat, message_id, version))
        runtime.close()
        return record, queue.handled

    try:
        record, handled = loop.run_until_complete(scenario())
    finally:
        loop.close()
    assert handled == 1
    assert record is not None and record.chat_id == CHAT
