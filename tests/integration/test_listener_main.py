"""listeners/main.py as the worker pool runs it: SIGTERM drains (sessions stop, watermarks are
written, leases handed back), and the minute report gives the memory resident now, not the peak.

The listener runs through `serve`, its signal handlers installed on a simulated-time loop; only
its Telegram is the simulated one of fleet/sim (no network), wired in place of Telethon.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import random
import signal
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from signal_copier import bootstrap
from signal_copier.bootstrap import Runtime
from signal_copier.config import Settings
from signal_copier.core.fleet import SessionLink, Watermark, session_secret_name
from signal_copier.core.leases import LeaseTiming, shard_of
from signal_copier.core.records import Subscription
from signal_copier.fleet.sim.clock import SimulatedLoop
from signal_copier.fleet.sim.processes import Process
from signal_copier.fleet.sim.world import RecordingQueue, World
from signal_copier.services.fleet import FleetDeps
from signal_copier.store.sqlite import SqliteStore

# listeners/ is its own deployable beside functions/: loaded from its file, as the image runs it.
_SPEC = importlib.util.spec_from_file_location(
    "listener_main_sigterm", Path(__file__).resolve().parents[2] / "listeners" / "main.py"
)
assert _SPEC is not None and _SPEC.loader is not None
listener = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(listener)
START = datetime(2026, 3, 2, 8, tzinfo=UTC)
USER, GOLD = "tg1", "-1007001"


class Telegram:
    """The simulated Telegram's sessions, opened by the listener's own process."""

    def __init__(self, world: World, process: Process) -> None:
        self._world, self._process = world, process

    def open(self, user_id: str, secret: bytes) -> Any:
        return self._world.session(self._process, user_id)


async def _link(environ: Mapping[str, str]) -> int:
    runtime = bootstrap.build(Settings.from_env(environ))
    store = runtime.deps.store
    assert isinstance(store, SqliteStore)
    shard = shard_of(USER, Settings.from_env(environ).fleet_shards)
    await store.add_subscription(Subscription(user_id=USER, chat_id=GOLD), None)
    await store.link_session(SessionLink(user_id=USER, shard=shard))
    await runtime.deps.vault.put(session_secret_name(USER), b"session")
    await runtime.aclose()
    return shard


def _run_until_sigterm(environ: Mapping[str, str]) -> tuple[World, dict[str, Watermark]]:
    loop = SimulatedLoop(START)
    world, process = World(loop, random.Random(5)), Process("listener")
    world.add_chat(GOLD)
    world.join(USER, GOLD)
    wired: list[FleetDeps] = []

    async def wire(environ: Mapping[str, str]) -> tuple[FleetDeps, Runtime]:
        settings = Settings.from_env(environ)
        runtime = bootstrap.build(settings)
        deps = FleetDeps(
            store=bootstrap.fleet_store(settings, runtime.deps.store),
            queue=RecordingQueue(world, process),
            vault=runtime.deps.vault,
            telegram=Telegram(world, process),
            clock=loop.now,
        )
        wired.append(deps)
        return deps, runtime

    async def scenario() -> dict[str, Watermark]:
        serving = asyncio.create_task(listener.serve(environ, wire))
        await asyncio.sleep(10.1)  # the shard is taken, the session connected; marks flushed
        world.post(GOLD)
        world.post(GOLD)
        await asyncio.sleep(0.5)  # published; the next watermark flush is 1.4 s away
        unflushed = await wired[0].store.watermarks(USER)
        # Had serve not installed its handler, SIGTERM would end this test process instead.
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.wait_for(serving, timeout=60)
        return unflushed

    try:
        return world, loop.run_until_complete(scenario())
    finally:
        loop.close()  # also takes the loop's signal handlers away


def test_sigterm_stops_the_sessions_writes_the_watermarks_and_hands_the_leases_back(
    tmp_path: Path,
) -> None:
    environ = {"COPIER_DATA_DIR": str(tmp_path)}
    shard = asyncio.run(_link(environ))

    world, unflushed = _run_until_sigterm(environ)

    store = SqliteStore(str(tmp_path / "copier.sqlite3"))
    marks = asyncio.run(store.watermarks(USER))
    now = START.replace(minute=1)
    taken = asyncio.run(store.acquire(shard, "next-listener", now, LeaseTiming()))
    assert unflushed[GOLD].message_id == 0  # the two posts were not written before SIGTERM ...
    assert marks[GOLD].message_id == 2  # ... the drain wrote them
    assert taken is not None and taken.epoch == 2  # handed back: taken at once, no TTL wait
    assert world.running() == 0 and sum(world.published.count.values()) == 2
    store.close()


@pytest.mark.skipif(
    not Path("/proc/self/statm").exists(), reason="resident memory is read from Linux's /proc"
)
def test_the_minute_report_gives_the_memory_resident_now_beside_the_peak(
    caplog: pytest.LogCaptureFixture,
) -> None:
    block = b"\x01" * (256 << 20)  # touched, then given back to the system
    del block
    status = Path("/proc/self/status").read_text().splitlines()
    resident = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024

    class Idle:
        owner, sessions_running, held = "L1", 0, {}

    with caplog.at_level(logging.INFO, logger="signal_copier.listener"):
        listener.log_usage(Idle())
    rss, peak, _ = listener.usage()

    assert abs(rss - resident) < 32  # MiB: what the process holds now ...
    assert peak - rss > 200  # ... not the peak the freed block left behind
    line = caplog.records[-1].getMessage()
    assert "rss_mb=" in line and "peak_rss_mb=" in line
