"""What services need, wired once by bootstrap."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from signal_copier.core.leases import ScalePolicy
from signal_copier.core.ports import Broker, FleetScaler, FleetStore, Queue, Store, Vault
from signal_copier.services.market import InstrumentCache

INTENTS_TOPIC = "intents"
MESSAGES_TOPIC = "messages"
BROKER_EVENTS_TOPIC = "broker-events"


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """The timing table of ARCHITECTURE.md: every value a setting."""

    lease: timedelta = timedelta(seconds=60)  # a crashed worker's claim is taken over after it
    max_attempts: int = 8  # claims that ran an intent (busy ones not counted), then it gives up
    followup_bound: timedelta = timedelta(seconds=120)  # a follow-up waits this long for its target
    # Messages posted this long before a follow-up must have arrived and been acted on before it
    # runs (delivery in any order); older ones are taken as settled.
    settle_window: timedelta = timedelta(minutes=30)
    retry_grace: timedelta = timedelta(seconds=60)  # a retry may add legs while age <= max + this
    opening_hold: timedelta = timedelta(seconds=120)  # an open-trade slot is held this long
    # A call to trade now waiting as a limit (far_entry=limit) is checked against its TP1 this
    # often by the sweep (which runs every minute): once the price reaches it, the entry goes.
    entry_watch: timedelta = timedelta(seconds=60)
    entry_watch_for: timedelta = timedelta(hours=4)  # after that a waiting entry is not watched
    sweep_batch: int = 500  # items per sweep step per run
    # Watched accounts read per page by the sweep's polling step, which reads them all every
    # minute (one Pub/Sub publish request takes at most 1,000 messages).
    poll_page: int = 1000
    # The polling step stops publishing after this long (the function's timeout is 50 s, and
    # the steps before it are bounded by sweep_batch); the accounts left wait a minute or so.
    poll_budget: timedelta = timedelta(seconds=30)
    deal_margin: timedelta = timedelta(seconds=60)  # deals are re-read this far back (clock skew)
    # A poll of an account this long past its sweep's minute is dropped: newer polls of the
    # account were published since (a backlog never multiplies the broker calls).
    poll_expiry: timedelta = timedelta(minutes=2)
    # A broker event may overtake the opening that placed its trade: it is redelivered (not
    # dropped) for this long after it happened, while the trade is not recorded yet.
    unrecorded_wait: timedelta = timedelta(minutes=10)

    @property
    def watch_settled(self) -> timedelta:
        """Return how long after an opening's watch a poll may stop watching its account."""
        # An opening watches with the time its attempt began; its orders land within the lease
        # after that, on a clock that may differ from the poll's (by up to the deal margin). A
        # poll that found nothing to manage therefore drops only a watch older than both: else
        # it could drop the watch of a trade placed just after it read the positions.
        return self.lease + self.deal_margin


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetScaling:
    """What the sweep sizes the listener fleet with: the linked sessions, the pool, the policy."""

    store: FleetStore
    scaler: FleetScaler
    policy: ScalePolicy = field(default_factory=ScalePolicy)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deps:
    """The ports a service uses, plus tuning."""

    store: Store
    queue: Queue
    vault: Vault
    broker: Broker
    worker: str = "local"  # prefix of claim owners: which process holds an intent
    timing: Timing = field(default_factory=Timing)
    breaker_threshold: int = 3  # consecutive broker failures before pausing an account
    breaker_cooldown: timedelta = timedelta(minutes=5)
    instruments: InstrumentCache = field(default_factory=InstrumentCache)  # this process's
    # The time now, in the same time base as the `now` services are given (fences broker
    # writes against the claim's lease); None: writes are fenced by the store's claim alone.
    clock: Callable[[], datetime] | None = None
    fleet: FleetScaling | None = None  # None: no listener fleet to size (tests, local runners)

    @property
    def lease(self) -> timedelta:
        """Return the claim lease (longer than one intent can take)."""
        return self.timing.lease


def credentials_name(user_id: str) -> str:
    """Return the vault name of a user's broker credentials."""
    return f"broker.{user_id}"
