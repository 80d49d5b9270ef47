"""Ports: what services need from the outside world, shaped for SQLite and Firestore alike.

Every state change that must not happen twice is one atomic call (a SQLite transaction or a
Firestore transaction): remembering a message, claiming an intent, reserving quota. One module
a role; the Store is composed of its roles (store.py).
"""

from signal_copier.core.ports.broker import Broker, BrokerAccount
from signal_copier.core.ports.claims import ClaimStore, LimitStore, WatchStore
from signal_copier.core.ports.delivery import MessageSource, Publication, Queue, Vault
from signal_copier.core.ports.fleet import (
    FleetScaler,
    FleetStore,
    MessageHandler,
    TelegramSession,
    TelegramSessions,
)
from signal_copier.core.ports.history import MessageBuilder, MessageHistory
from signal_copier.core.ports.people import UserStore
from signal_copier.core.ports.store import Store
from signal_copier.core.ports.trades import TradeStore
from signal_copier.core.ports.web import Auth, TelegramLogin, WebStore

__all__ = [
    "Auth",
    "Broker",
    "BrokerAccount",
    "ClaimStore",
    "FleetScaler",
    "FleetStore",
    "LimitStore",
    "MessageBuilder",
    "MessageHandler",
    "MessageHistory",
    "MessageSource",
    "Publication",
    "Queue",
    "Store",
    "TelegramLogin",
    "TelegramSession",
    "TelegramSessions",
    "TradeStore",
    "UserStore",
    "Vault",
    "WatchStore",
    "WebStore",
]
