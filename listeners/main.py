"""Cloud Run worker pool entry: run one listener (services/fleet.py) until SIGTERM, then drain.

Configured like every other process (config.py: COPIER_MODE, COPIER_PROJECT, COPIER_STORE,
COPIER_QUEUE, COPIER_VAULT, ...), plus the fleet's own: COPIER_FLEET_SHARDS,
COPIER_FLEET_CAPACITY and COPIER_TELEGRAM_API_ID / COPIER_TELEGRAM_API_HASH (the hash from
Secret Manager through the worker pool's secret environment; never baked into the image).
"""

from __future__ import annotations

import asyncio
import logging
import os
import resource
import signal
import socket
import uuid
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from signal_copier import bootstrap
from signal_copier.bootstrap import Runtime
from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.ports import FleetStore
from signal_copier.logs import configure as configure_logs
from signal_copier.services.fleet import FleetDeps, FleetSettings, Listener

log = logging.getLogger("signal_copier.listener")
REPORT_EVERY_S = 60.0


def owner_id() -> str:
    """Return this process's lease owner id: a restarted process never reuses one."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def settings_from(environ: Mapping[str, str]) -> FleetSettings:
    """Return the fleet settings named in the environment (defaults: the timing table)."""
    try:
        return FleetSettings(
            shards=int(environ.get("COPIER_FLEET_SHARDS", "1024")),
            capacity=int(environ.get("COPIER_FLEET_CAPACITY", "1000")),
        )
    except ValueError as e:
        raise InvalidSettings(f"COPIER_FLEET_SHARDS / COPIER_FLEET_CAPACITY: {e}") from e


def build(environ: Mapping[str, str]) -> tuple[FleetDeps, Runtime]:
    """Wire the listener: the queue and vault as bootstrap builds them, the fleet's store."""
    from signal_copier.telegram.telethon import TelethonSessions

    api_id = environ.get("COPIER_TELEGRAM_API_ID", "")
    api_hash = environ.get("COPIER_TELEGRAM_API_HASH", "")
    if not api_id.isdigit() or not api_hash:
        raise InvalidSettings("COPIER_TELEGRAM_API_ID and COPIER_TELEGRAM_API_HASH are required")
    settings = Settings.from_env(environ)
    # A listener never trades: the paper stand-in keeps MetaAPI's SDK out of its image.
    runtime = bootstrap.build(replace(settings, broker="paper"))
    deps = FleetDeps(
        store=_fleet_store(settings, runtime),
        queue=runtime.deps.queue,
        vault=runtime.deps.vault,
        telegram=TelethonSessions(int(api_id), api_hash),
        clock=lambda: datetime.now(UTC),
    )
    return deps, runtime


def _fleet_store(settings: Settings, runtime: Runtime) -> FleetStore:
    if settings.store == "sqlite":
        return cast(FleetStore, runtime.deps.store)  # SqliteStore serves both ports
    from google.cloud import firestore

    from signal_copier.store.firestore.fleet import FirestoreFleetStore

    client = firestore.AsyncClient(project=settings.project, database=settings.firestore_database)
    return FirestoreFleetStore(client)


async def report(listener: Listener) -> None:
    """Log sessions, memory and CPU once a minute (one JSON line each)."""
    while True:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        log.info(
            "listener %s: sessions=%d shards=%d rss_mb=%.0f cpu_s=%.1f",
            listener.owner,
            listener.sessions_running,
            len(listener.held),
            usage.ru_maxrss / 1024,
            usage.ru_utime + usage.ru_stime,
        )
        await asyncio.sleep(REPORT_EVERY_S)


async def serve(environ: Mapping[str, str]) -> None:
    """Run a listener until SIGTERM or SIGINT; then stop its sessions and hand back its leases."""
    deps, runtime = build(environ)
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
    """Entry point: JSON logs, then serve."""
    configure_logs(os.environ.get("COPIER_LOG_LEVEL", "INFO"))
    try:
        asyncio.run(serve(os.environ))
    except InvalidSettings as e:
        log.error("listener cannot start: %s", e)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
