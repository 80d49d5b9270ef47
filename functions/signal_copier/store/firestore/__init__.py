"""Firestore store for the cloud: the same records as SQLite, as native documents.

`FirestoreStore` is the collection groups together; each group (a mixin over `FirestoreClient`)
lives in its own module, as the SQLite store's tables do: `users`, `messages`, `claims`,
`usage`, `openings`, `trades` and `watches`. `schema` lists the composite queries and TTL
fields, `encoding` the document values and ids, `errors` the one table from Firestore errors to
copier errors.
`web.FirestoreWebStore` serves the dashboard's `WebStore` port on an AsyncClient.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from signal_copier.store.firestore.claims import ClaimCollections
from signal_copier.store.firestore.errors import StoreRejected
from signal_copier.store.firestore.messages import MessageCollections
from signal_copier.store.firestore.openings import OpeningCollections
from signal_copier.store.firestore.usage import UsageCollections
from signal_copier.store.firestore.users import UserCollections
from signal_copier.store.firestore.watches import WatchCollections

if TYPE_CHECKING:
    from signal_copier.core.ports import Store

__all__ = ["FirestoreStore", "StoreRejected"]


class FirestoreStore(
    UserCollections,
    MessageCollections,
    ClaimCollections,
    UsageCollections,
    OpeningCollections,
    WatchCollections,
):
    """Every method of the `Store` port on one Firestore database (its client made on first use)."""

    async def __aenter__(self) -> FirestoreStore:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


if TYPE_CHECKING:
    _conforms: Store = FirestoreStore("demo")
