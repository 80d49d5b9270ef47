"""Cloud Run worker pool entry: run one listener (services/fleet.py) until SIGTERM, then drain.

Configured like every other process, through config.Settings: the ports, the fleet's shards and
capacity per listener, and the Telegram app's credentials — read from the Secret Manager
secrets the settings name (the cloud), or given as values locally; never baked into the image.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import resource
import signal
import socket
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from signal_copier import app_secrets, bootstrap
from signal_copier.bootstrap import Runtime
from signal_copier.config import Settings, log_level
from signal_copier.core.errors import CopierError
from signal_copier.logs import configure as configure_logs
from signal_copier.services.fleet import FleetDeps, FleetSettings, Listener

log = logging.getLogger("signal_copier.listener")
REPORT_EVERY_S = 60.0
MIB = 1024 * 1024


def owner_id() -> str:
    """Return this process's lease owner id: a restarted process never reuses one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def settings_from(environ: Mapping[str, str]) -> FleetSettings:
    """Return the fleet settings config names (defaults: the timing table)."""
    settings = Settings.from_env(environ)
    return FleetSettings(shards=settings.fleet_shards, capacity=settings.fleet_capacity)


async def build(environ: Mapping[str, str]) -> tuple[FleetDeps, Runtime]:
    """Wire the listener: the queue, vault and fleet store as bootstrap builds them."""
    from signal_copier.telegram.telethon import TelethonSessions

    settings = Settings.from_env(environ)
    app = await app_secrets.telegram_app(settings, environ)
    # A listener never trades nor scales the fleet: the local stand-ins keep MetaAPI's and
    # Cloud Run's SDKs out of its image.
    runtime = bootstrap.build(replace(settings, broker="paper", scaler="local"))
    deps = FleetDeps(
        store=bootstrap.fleet_store(settings, runtime.deps.store),
        queue=runtime.deps.queue,
        vault=runtime.deps.vault,
        telegram=TelethonSessions(app.api_id, app.api_hash),
        clock=lambda: datetime.now(UTC),
    )
    return deps, runtime


Wire = Callable[[Mapping[str, str]], Awaitable[tuple[FleetDeps, Runtime]]]


def usage() -> tuple[float, float, float]:
    """Return the resident memory now and at its peak (MiB), and the CPU seconds used.

    The current figure is read from /proc/self/statm (Linux, where the listener runs); NaN
    where that file does not exist. The peak is getrusage's ru_maxrss (KiB on Linux).
    """
    used = resource.getrusage(resource.RUSAGE_SELF)
    try:
        resident_pages = int(Path("/proc/self/statm").read_text().split()[1])
        current = resident_pages * resource.getpagesize() / MIB
    except (OSError, IndexError, ValueError):
        current = math.nan
    return current, used.ru_maxrss * 1024 / MIB, used.ru_utime + used.ru_stime


def log_usage(listener: Listener) -> None:
    """Log the listener's sessions, shards, memory (now and peak) and CPU as one line."""
    rss, peak, cpu = usage()
    log.info(
        "listener %s: sessions=%d shards=%d rss_mb=%.0f peak_rss_mb=%.0f cpu_s=%.1f",
        listener.owner,
        listener.sessions_running,
        len(listener.held),
        rss,
        peak,
        cpu,
    )


async def report(listener: Listener) -> None:
    """Log the listener's usage once a minute (one JSON line each)."""
    while True:
        log_usage(listener)
        await asyncio.sleep(REPORT_EVERY_S)


async def serve(environ: Mapping[str, str], wire: Wire = build) -> None:
    """Run a listener until SIGTERM or SIGINT; then stop its sessions and hand back its leases.

    `wire` builds its parts (`build`; tests hand in a simulated Telegram).
    """
    deps, runtime = await wire(environ)
    listener = Listener(deps, settings_from(environ), owner_id())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reporter = asyncio.create_task(report(listener))
    try:
        await listener.run(stop)
    finally:
        reporter.cancel()
        await runtime.aclose()
    log.info("listener %s stopped", listener.owner)


def main() -> int:
    """Entry point: JSON logs (COPIER_LOG_LEVEL), then serve."""
    try:
        configure_logs(log_level(os.environ), project=Settings.from_env(os.environ).project)
        asyncio.run(serve(os.environ))
    except CopierError as e:  # bad settings, or a secret that cannot be read
        log.error("listener cannot start: %s", e)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
