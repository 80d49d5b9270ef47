"""What services need, wired once by bootstrap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from signal_copier.core.ports import Broker, Queue, Store, Vault

INTENTS_TOPIC = "intents"
MESSAGES_TOPIC = "messages"
BROKER_EVENTS_TOPIC = "broker-events"


@dataclass(frozen=True, slots=True, kw_only=True)
class Deps:
    """The ports a service uses, plus claim tuning."""

    store: Store
    queue: Queue
    vault: Vault
    broker: Broker
    worker: str = "local"  # prefix of claim owners: which process holds an intent
    lease: timedelta = timedelta(seconds=60)  # longer than one intent can take
    breaker_threshold: int = 3  # consecutive broker failures before pausing an account
    breaker_cooldown: timedelta = timedelta(minutes=5)


def credentials_name(user_id: str) -> str:
    """Return the vault name of a user's broker credentials."""
    return f"broker.{user_id}"
