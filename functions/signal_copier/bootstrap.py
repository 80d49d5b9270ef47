"""The one composition root: pick adapters for a mode and wire them into Deps.

Adapters are imported inside the branch that uses them, so local mode never loads a cloud SDK.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.services.deps import Deps

if TYPE_CHECKING:
    from signal_copier.broker.metaapi import MetaApiBroker
    from signal_copier.broker.paper import PaperBroker
    from signal_copier.queue.inprocess import InProcessQueue
    from signal_copier.store.sqlite import SqliteStore


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalRuntime:
    """Local mode's deps plus the embedded parts a local runner drives directly."""

    deps: Deps
    store: SqliteStore
    queue: InProcessQueue
    broker: PaperBroker

    def close(self) -> None:
        """Close the database."""
        self.store.close()


def build(
    settings: Settings, *, start: datetime | None = None, database: str | None = None
) -> LocalRuntime:
    """Return the wired runtime for `settings.mode`.

    Args:
        settings: process settings.
        start: the paper broker's clock at start (replays pass their first event's time).
        database: a SQLite path overriding the data dir's (":memory:" for throwaway runs).
    """
    if settings.mode != "local":
        raise InvalidSettings(
            "COPIER_MODE: only 'local' can be built by this release; the cloud adapters "
            "(Firestore, Pub/Sub, Secret Manager, MetaAPI) are not part of it yet"
        )
    from signal_copier.broker.paper import PaperBroker
    from signal_copier.queue.inprocess import InProcessQueue
    from signal_copier.store.sqlite import SqliteStore
    from signal_copier.vault.local import LocalVault

    store = SqliteStore(database or str(_ensure(settings.data_dir) / settings.database.name))
    queue = InProcessQueue()
    broker = PaperBroker(now=start) if start is not None else PaperBroker()
    vault = LocalVault(settings.vault_key, settings.vault_dir)
    deps = Deps(store=store, queue=queue, vault=vault, broker=broker, worker=settings.worker)
    return LocalRuntime(deps=deps, store=store, queue=queue, broker=broker)


def metaapi_broker(region: str | None = None) -> MetaApiBroker:
    """Return the MetaAPI broker (close it with `aclose()`); it needs the cloud dependencies."""
    try:
        from signal_copier.broker.metaapi import MetaApiBroker
    except ImportError as e:
        raise InvalidSettings(
            "broker.kind 'metaapi' needs metaapi-cloud-sdk: ./dev setup dev, or install "
            "signal-copier[cloud]"
        ) from e
    return MetaApiBroker(region=region)


def _ensure(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
