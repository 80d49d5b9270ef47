"""The one composition root: pick one adapter per port from the settings and wire them into Deps.

Every adapter is imported inside the branch that uses it, so local mode never loads a cloud SDK.
`build` returns a runtime typed by the ports; `build_local` keeps the embedded parts' own types
for the local runners (the demo and `run`) that drive them directly.
"""

from __future__ import annotations

import gc
import importlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.core.leases import ScalePolicy
from signal_copier.core.ports import Broker, FleetScaler, FleetStore, Queue, Store, Vault
from signal_copier.deferred import PoolOnFirstUse, StoreClient
from signal_copier.services.deps import Deps, FleetScaling, Timing

if TYPE_CHECKING:
    from signal_copier.broker.metaapi import MetaApiBroker
    from signal_copier.broker.paper import PaperBroker
    from signal_copier.queue.inprocess import InProcessQueue
    from signal_copier.store.sqlite import SqliteStore
    from signal_copier.vault.envelope import DataKeys, EnvelopeVault

Closer = Callable[[], Awaitable[None]]
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Runtime:
    """The ports wired for the settings, and what to close when the process stops."""

    settings: Settings
    deps: Deps
    closers: tuple[Closer, ...] = ()

    async def aclose(self) -> None:
        """Close every adapter that holds a connection, the last built first."""
        for close in reversed(self.closers):
            try:
                await close()
            except Exception:  # one adapter failing to close must not keep the others open
                _log.exception("closing an adapter failed")


def build(settings: Settings) -> Runtime:
    """Return the runtime for `settings`: one adapter per port, clients created on first use."""
    closers: list[Closer] = []
    store = _store(settings, closers)
    queue = _queue(settings, closers)
    vault = _vault(settings, closers)
    broker = _broker(settings, closers)
    fleet = FleetScaling(
        store=fleet_store(settings, store),
        scaler=_scaler(settings, closers),
        policy=ScalePolicy(capacity=settings.fleet_capacity),
    )
    deps = Deps(
        store=store,
        queue=queue,
        vault=vault,
        broker=broker,
        worker=settings.worker,
        timing=timing(settings),
        fleet=fleet,
    )
    return Runtime(settings=settings, deps=deps, closers=tuple(closers))


def timing(settings: Settings) -> Timing:
    """Return the timing table the settings set."""
    return Timing(
        lease=timedelta(seconds=settings.claim_lease_s),
        max_attempts=settings.max_attempts,
        followup_bound=timedelta(seconds=settings.followup_bound_s),
        settle_window=timedelta(seconds=settings.settle_window_s),
        retry_grace=timedelta(seconds=settings.retry_grace_s),
        opening_hold=timedelta(seconds=settings.opening_hold_s),
        entry_watch=timedelta(seconds=settings.entry_watch_s),
        entry_watch_for=timedelta(seconds=settings.entry_watch_for_s),
        sweep_batch=settings.sweep_batch,
        poll_page=settings.poll_page,
        poll_budget=timedelta(seconds=settings.poll_budget_s),
        poll_expiry=timedelta(seconds=settings.poll_expiry_s),
        deal_margin=timedelta(seconds=settings.deal_margin_s),
        unrecorded_wait=timedelta(seconds=settings.unrecorded_wait_s),
    )


def _store(settings: Settings, closers: list[Closer]) -> Store:
    if settings.store == "sqlite":
        from signal_copier.store.sqlite import SqliteStore

        sqlite = SqliteStore(str(settings.database))  # creates data_dir 0700
        closers.append(_sync(sqlite.close))
        return sqlite
    # Imported by name: the Firestore adapter is its own package (store/firestore/).
    module = importlib.import_module("signal_copier.store.firestore")
    firestore: Any = module.FirestoreStore(settings.project, database=settings.firestore_database)
    closers.append(firestore.aclose)
    return firestore  # type: ignore[no-any-return]


def fleet_store(settings: Settings, store: Store) -> FleetStore:
    """Return the fleet's store beside `store` (SQLite serves both; Firestore shares its client)."""
    if settings.store == "sqlite":
        return cast(FleetStore, store)  # SqliteStore serves both ports
    from signal_copier.store.firestore.fleet import FirestoreFleetStore

    return FirestoreFleetStore(cast(Any, StoreClient(store)))


def _scaler(settings: Settings, closers: list[Closer]) -> FleetScaler:
    if settings.scaler == "local":
        from signal_copier.fleet.local import LocalScaler

        return LocalScaler()
    pool = PoolOnFirstUse(settings.fleet_pool)
    closers.append(pool.aclose)
    return pool


def _queue(settings: Settings, closers: list[Closer]) -> Queue:
    if settings.queue == "inprocess":
        from signal_copier.queue.inprocess import InProcessQueue

        return InProcessQueue()
    from signal_copier.queue.pubsub import PubSubQueue

    pubsub = PubSubQueue(settings.project, publish_timeout=settings.publish_timeout_s)
    closers.append(pubsub.aclose)
    return pubsub


def _vault(settings: Settings, closers: list[Closer]) -> Vault:
    if settings.vault == "local":
        from signal_copier.vault.local import LocalVault

        return LocalVault(settings.vault_key, settings.vault_dir)
    envelope, _ = envelope_vault(settings)
    closers.append(envelope.aclose)
    return envelope


def envelope_vault(settings: Settings) -> tuple[EnvelopeVault, DataKeys]:
    """Return the envelope vault and its data keys (Secret Manager, or a local key file)."""
    from signal_copier.vault.envelope import EnvelopeVault

    keys: DataKeys
    if settings.data_key_secret:
        from functools import partial

        from signal_copier.vault.secret_manager import SecretManagerKeys, client_for, secret_path

        try:
            secret = secret_path(settings.project, settings.data_key_secret)
        except ValueError as e:
            raise InvalidSettings(f"COPIER_DATA_KEY_SECRET: {e}") from e
        factory = partial(client_for, settings.secret_manager_endpoint)
        keys = SecretManagerKeys(secret, ttl=settings.key_cache_ttl_s, client_factory=factory)
    else:
        from signal_copier.vault.keyfile import KeyFile

        keys = KeyFile(settings.data_key_file)
    vault = EnvelopeVault(keys, project=settings.project, database=settings.firestore_database)
    return vault, keys


def _broker(settings: Settings, closers: list[Closer]) -> Broker:
    if settings.broker == "paper":
        from signal_copier.broker.paper import PaperBroker

        return PaperBroker(now=datetime.now(UTC))  # served on the real clock
    metaapi = metaapi_broker(settings.metaapi_region or None)
    closers.append(metaapi.aclose)
    return metaapi


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


def build_local(
    settings: Settings,
    *,
    start: datetime | None = None,
    database: str | None = None,
    paper: PaperBroker | None = None,
    durable: bool = True,
) -> LocalRuntime:
    """Return local mode's runtime with its embedded parts (for the demo and `run`).

    Args:
        settings: process settings (their mode must be local).
        start: the paper broker's clock at start (replays pass their first event's time).
        database: a SQLite path overriding the data dir's (":memory:" for throwaway runs).
        paper: the paper broker to trade on (a resumed one); `start` is then ignored.
        durable: journal the queue's messages in the store until handled, so a restart
            delivers what a hard kill interrupted (off only for a throwaway data folder).
    """
    if settings.mode != "local":
        raise InvalidSettings(
            f"COPIER_MODE: the demo and `run` drive local mode's own parts, not {settings.mode!r}"
        )
    from signal_copier.broker.paper import PaperBroker
    from signal_copier.queue.inprocess import InProcessQueue
    from signal_copier.store.sqlite import SqliteStore
    from signal_copier.vault.local import LocalVault

    collect_young_less_often()
    store = SqliteStore(database or str(settings.database))  # creates data_dir 0700
    queue = InProcessQueue(journal=store if durable else None)
    broker = paper or (PaperBroker(now=start) if start is not None else PaperBroker())
    vault = LocalVault(settings.vault_key, settings.vault_dir)
    deps = Deps(
        store=store,
        queue=queue,
        vault=vault,
        broker=broker,
        worker=settings.worker,
        timing=timing(settings),
    )
    return LocalRuntime(deps=deps, store=store, queue=queue, broker=broker)


# Local mode runs the whole pipeline in one process, which allocates many short-lived objects
# per message: at Python's default (a young collection every 700 allocations, one every few
# messages) the collector took ~10 % of a replay's time, mostly scanning survivors again.
YOUNG_COLLECTION_EVERY = 10_000


def collect_young_less_often() -> None:
    """Raise the garbage collector's young threshold for a long-running local process.

    Never lowers it, and leaves automatic collection off if someone turned it off (0).
    """
    young, middle, old = gc.get_threshold()
    if 0 < young < YOUNG_COLLECTION_EVERY:
        gc.set_threshold(YOUNG_COLLECTION_EVERY, middle, old)


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


def _sync(close: Callable[[], None]) -> Closer:
    async def closer() -> None:
        close()

    return closer
