"""Cloud Run worker pool entry: run one listener (services/fleet.py) until SIGTERM, then drain.

Settings (names beside the others' in config.py once folded in):
COPIER_STORE=firestore|sqlite, COPIER_PROJECT, COPIER_DATA_DIR (sqlite), COPIER_FLEET_SHARDS,
COPIER_FLEET_CAPACITY, COPIER_TELEGRAM_API_ID, COPIER_TELEGRAM_API_HASH (from Secret Manager
through the service's secret env; never baked into the image), COPIER_LOG_LEVEL.
The queue and vault adapters come from their own modules (`COPIER_QUEUE_MODULE`,
`COPIER_VAULT_MODULE`, each exposing `from_env(environ)`), so this entry stays thin.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import resource
import signal
import socket
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from signal_copier.core.errors import InvalidSettings
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


def build(environ: Mapping[str, str]) -> FleetDeps:
    """Wire the listener's adapters from the environment (imported only here)."""
    from signal_copier.telegram.telethon import TelethonSessions

    api_id, api_hash = (
        environ.get("COPIER_TELEGRAM_API_ID", ""),
        environ.get("COPIER_TELEGRAM_API_HASH", ""),
    )
    if not api_id.isdigit() or not api_hash:
        raise InvalidSettings("COPIER_TELEGRAM_API_ID and COPIER_TELEGRAM_API_HASH are required")
    return FleetDeps(
        store=_store(environ),
        queue=_adapter(environ, "COPIER_QUEUE_MODULE"),
        vault=_adapter(environ, "COPIER_VAULT_MODULE"),
        telegram=TelethonSessions(int(api_id), api_hash),
        clock=lambda: datetime.now(UTC),
    )


def _store(environ: Mapping[str, str]) -> Any:
    kind = environ.get("COPIER_STORE", "firestore")
    if kind == "sqlite":
        from signal_copier.store.sqlite import SqliteStore

        return SqliteStore(os.path.join(environ.get("COPIER_DATA_DIR", "var"), "copier.sqlite3"))
    if kind != "firestore":
        raise InvalidSettings(f"COPIER_STORE: must be firestore or sqlite, not {kind!r}")
    from google.cloud import firestore

    from signal_copier.store.firestore.fleet import FirestoreFleetStore

    return FirestoreFleetStore(firestore.AsyncClient(project=environ.get("COPIER_PROJECT") or None))


def _adapter(environ: Mapping[str, str], variable: str) -> Any:
    name = environ.get(variable, "")
    if not name:
        raise InvalidSettings(f"{variable}: name the adapter module (it must define from_env)")
    return importlib.import_module(name).from_env(environ)


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
    listener = Listener(build(environ), settings_from(environ), owner_id())
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    reporter = asyncio.create_task(report(listener))
    try:
        await listener.run(stop)
    finally:
        reporter.cancel()
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
