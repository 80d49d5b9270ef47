"""The AsyncClient behind FirestoreStore, and the three helpers every collection group uses.

- `atomically`: a transaction whose reads come first (`gather`) and whose decision is a pure
  function of what was read (`decide` → result and writes), so the body can be re-run safely.
- `pages`: any listing, page by page with a cursor (no unbounded read of a collection).
- `chunked_in`: an `in` query over any number of values, 30 at a time, merged.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from google.api_core import exceptions as gax
from google.cloud import firestore
from google.cloud.firestore_v1.async_collection import AsyncCollectionReference
from google.cloud.firestore_v1.async_document import AsyncDocumentReference
from google.cloud.firestore_v1.async_query import AsyncQuery
from google.cloud.firestore_v1.async_transaction import AsyncTransaction
from google.cloud.firestore_v1.base_document import DocumentSnapshot
from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core.errors import StoreUnavailable
from signal_copier.store.firestore.encoding import doc_id
from signal_copier.store.firestore.errors import translated

T = TypeVar("T")
R = TypeVar("R")
IN_LIMIT = 30  # values per `in` filter (Firestore's limit)
PAGE_SIZE = 2000  # documents per page: each query costs the emulator ~0.3 s whatever its size
ATTEMPTS = 6
CALL_TIMEOUT_S = 20.0
Snapshot = DocumentSnapshot[AsyncDocumentReference]
Query = AsyncQuery | AsyncCollectionReference


@dataclass(frozen=True, slots=True)
class Write:
    """One write of a transaction: replace (`merge=False`), merge, or delete (`data=None`)."""

    ref: AsyncDocumentReference
    data: dict[str, Any] | None = None
    merge: bool | list[str] = False

    def apply(self, tx: AsyncTransaction) -> None:
        """Buffer this write in `tx`."""
        if self.data is None:
            tx.delete(self.ref)
        else:
            tx.set(self.ref, self.data, merge=self.merge)


@dataclass(frozen=True, slots=True)
class Reader:
    """The read side of one transaction attempt (gather reads here; nothing writes)."""

    client: firestore.AsyncClient
    tx: AsyncTransaction

    async def docs(self, refs: Sequence[AsyncDocumentReference]) -> list[Snapshot]:
        """Return snapshots of `refs` in the same order (missing ones with exists=False)."""
        if not refs:
            return []
        # AsyncTransaction.get_all awaits an async generator (TypeError in 2.34.1): ask the client.
        found = {
            s.reference.path: s async for s in self.client.get_all(list(refs), transaction=self.tx)
        }
        return [found[ref.path] for ref in refs]

    async def query(self, query: AsyncQuery) -> list[Snapshot]:
        """Return a (bounded: give it a limit) query's snapshots inside the transaction."""
        return [s async for s in query.stream(transaction=self.tx)]


@dataclass(slots=True)
class _KeyedLocks:
    """One asyncio.Lock per key while anyone holds or waits for it."""

    held: dict[str, tuple[asyncio.Lock, int]] = field(default_factory=dict)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the key's lock (waiting behind earlier holders)."""
        lock, users = self.held.get(key, (asyncio.Lock(), 0))
        self.held[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self.held[key]
            if users == 1:
                del self.held[key]
            else:
                self.held[key] = (lock, users - 1)


class FirestoreClient:
    """A lazily created AsyncClient (bound to the loop that first uses it) and its helpers.

    Transactions on the same key from this process wait for each other instead of conflicting:
    Firestore's retries then only meet other instances. The SDK's own retry loop re-runs a
    conflicting transaction at once (measured on the emulator: 10 concurrent reservations of one
    document → 8 gave up after 5 attempts); ours backs off with jitter between attempts.
    """

    def __init__(
        self,
        project: str,
        *,
        database: str = "(default)",
        page_size: int = PAGE_SIZE,
        attempts: int = ATTEMPTS,
        timeout: float = CALL_TIMEOUT_S,
    ) -> None:
        if page_size < 1 or attempts < 1 or timeout <= 0:
            raise ValueError("page_size and attempts must be ≥ 1 and timeout > 0")
        self.project, self.database = project, database
        self.page_size, self.attempts, self.timeout = page_size, attempts, timeout
        self._client: firestore.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._locks = _KeyedLocks()

    @property
    def db(self) -> firestore.AsyncClient:
        """Return the AsyncClient, creating it in the running loop on first use."""
        loop = asyncio.get_running_loop()
        if self._client is None:
            self._client = firestore.AsyncClient(project=self.project, database=self.database)
            self._loop = loop
        elif loop is not self._loop:
            raise RuntimeError(
                "FirestoreStore is bound to another event loop (create one per loop)"
            )
        return self._client

    async def aclose(self) -> None:
        """Close the client's channel (idempotent); a later call opens a new client."""
        client, self._client, self._loop = self._client, None, None
        # AsyncClient has no close(); its GAPIC client (made on first call) owns the channel.
        api = getattr(client, "_firestore_api_internal", None)
        if api is not None:
            await api.transport.close()

    def doc(self, *path: str) -> AsyncDocumentReference:
        """Return the document at collection/key/collection/key… (keys made valid ids)."""
        parts = [part if n % 2 == 0 else doc_id(part) for n, part in enumerate(path)]
        return self.db.document(*parts)

    async def atomically(
        self,
        key: str,
        gather: Callable[[Reader], Awaitable[R]],
        decide: Callable[[R], tuple[T, Sequence[Write]]],
    ) -> T:
        """Run gather → decide → write as one transaction; StoreUnavailable if it keeps conflicting.

        `decide` must be pure: a conflicting attempt re-runs gather and decide from scratch.
        """

        @firestore.async_transactional
        async def attempt(tx: AsyncTransaction) -> T:
            result, writes = decide(await gather(Reader(self.db, tx)))
            for write in writes:
                write.apply(tx)
            return result

        conflict: BaseException | None = None
        for n in range(self.attempts):
            if n:
                await asyncio.sleep(random.uniform(0, min(1.0, 0.05 * 2**n)))
            try:
                async with translated(key), self._locks.hold(key):
                    return await asyncio.wait_for(
                        attempt(self.db.transaction(max_attempts=1)), self.timeout
                    )
            except StoreUnavailable as e:
                conflict = e.__cause__
                if not _conflict(conflict):
                    raise
            except ValueError as e:  # the SDK's "Failed to commit transaction in 1 attempts."
                if not isinstance(e.__cause__, gax.Aborted):
                    raise
                conflict = e.__cause__
        raise StoreUnavailable(
            f"firestore {key}: transaction still conflicting after {self.attempts} attempts"
        ) from conflict

    async def transact(
        self,
        refs: Sequence[AsyncDocumentReference],
        decide: Callable[[list[Snapshot]], tuple[T, Sequence[Write]]],
    ) -> T:
        """Read `refs`, then apply decide's writes, in one transaction keyed by the first ref."""
        return await self.atomically(refs[0].path, lambda reader: reader.docs(refs), decide)

    async def get(self, ref: AsyncDocumentReference) -> Snapshot:
        """Read one document (exists=False if missing)."""
        async with translated(ref.path):
            return await ref.get(timeout=self.timeout)

    async def get_many(self, refs: Sequence[AsyncDocumentReference], where: str) -> list[Snapshot]:
        """Read documents (missing ones with exists=False), a page's worth at a time, in order."""
        size = self.page_size
        batches = [refs[n : n + size] for n in range(0, len(refs), size)]

        async def read(batch: Sequence[AsyncDocumentReference]) -> dict[str, Snapshot]:
            async with translated(where), asyncio.timeout(self.timeout):
                return {s.reference.path: s async for s in self.db.get_all(list(batch))}

        found: dict[str, Snapshot] = {}
        for part in await asyncio.gather(*(read(batch) for batch in batches)):
            found.update(part)
        return [found[ref.path] for ref in refs]

    async def first(self, query: Query, where: str) -> list[Snapshot]:
        """Return the results of a query that carries its own limit (one read, no pages)."""
        async with translated(where), asyncio.timeout(self.timeout):
            return [s async for s in query.stream()]

    async def pages(self, query: Query, where: str) -> AsyncGenerator[list[Snapshot], None]:
        """Yield a query's results page by page (cursor after each page's last document).

        The next page is read while the caller works on this one (a fan-out publishes a page
        while the following one arrives).
        """
        ahead: asyncio.Task[list[Snapshot]] | None = asyncio.ensure_future(
            self._page(query, None, where)
        )
        try:
            while ahead is not None:
                page = await ahead
                ahead = None
                if len(page) == self.page_size:
                    ahead = asyncio.ensure_future(self._page(query, page[-1], where))
                if page:
                    yield page
        finally:
            if ahead is not None:  # the caller stopped early: end the read it will not take
                ahead.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await ahead

    async def _page(self, query: Query, cursor: Snapshot | None, where: str) -> list[Snapshot]:
        page_query = query.limit(self.page_size)
        if cursor is not None:
            page_query = page_query.start_after(cursor)
        async with translated(where), asyncio.timeout(self.timeout):
            return [s async for s in page_query.stream()]

    async def every(self, query: Query, where: str) -> list[Snapshot]:
        """Return all of a query's results, read page by page."""
        return [s async for page in self.pages(query, where) for s in page]

    async def chunked_in(
        self, query: Query, field_path: str, values: Iterable[Any], where: str
    ) -> list[Snapshot]:
        """Return the documents whose `field_path` is one of `values` (30 values per query)."""
        wanted = sorted(set(values))
        chunks = [wanted[n : n + IN_LIMIT] for n in range(0, len(wanted), IN_LIMIT)]
        found = await asyncio.gather(
            *(
                self.every(query.where(filter=FieldFilter(field_path, "in", chunk)), where)
                for chunk in chunks
            )
        )
        return [s for chunk in found for s in chunk]


def _conflict(error: BaseException | None) -> bool:
    return isinstance(error, gax.Aborted)
