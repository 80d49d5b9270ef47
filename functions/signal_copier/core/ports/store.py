"""The Store port: durable state, one role per module, composed here."""

from __future__ import annotations

from typing import Protocol

from signal_copier.core.ports.claims import ClaimStore, LimitStore, WatchStore
from signal_copier.core.ports.history import MessageHistory
from signal_copier.core.ports.people import UserStore
from signal_copier.core.ports.trades import TradeStore


class Store(MessageHistory, UserStore, ClaimStore, LimitStore, WatchStore, TradeStore, Protocol):
    """Durable state. Every method that must not happen twice, or must not interleave with
    another writer, is one transaction (SQLite BEGIN IMMEDIATE, a Firestore transaction whose
    body is re-run on contention and raises StoreUnavailable when it gives up).
    """
