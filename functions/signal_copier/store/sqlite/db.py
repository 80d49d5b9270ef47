"""The SQLite file behind SqliteStore: connection, schema, transactions, error translation."""

from __future__ import annotations

import sqlite3
import threading
import typing
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, TypeVar

from signal_copier.core.errors import CopierError, InvalidInput, StoreUnavailable
from signal_copier.files import private_file, tighten
from signal_copier.store import StoreCorrupt, decode, dump_json, encode, load_json
from signal_copier.store.sqlite.checkpoint import Checkpointer

T = TypeVar("T")
CACHED_RECORDS = 2048  # decoded immutable records kept per store, least recently used dropped
SCHEMA_VERSION = 2  # 2: message history, parking, open-trade slots, account owners
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_INT = 2**63 - 1
_MICROSECOND = timedelta(microseconds=1)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
"""
# Primary SQLite result codes → what the caller must do; anything else propagates unchanged.
_ERRORS: dict[int, type[CopierError]] = {
    sqlite3.SQLITE_BUSY: StoreUnavailable,  # another connection held the lock past busy_timeout
    sqlite3.SQLITE_LOCKED: StoreUnavailable,
    sqlite3.SQLITE_PROTOCOL: StoreUnavailable,
    sqlite3.SQLITE_IOERR: StoreUnavailable,
    sqlite3.SQLITE_FULL: StoreUnavailable,
    sqlite3.SQLITE_CANTOPEN: StoreUnavailable,
    sqlite3.SQLITE_CORRUPT: StoreCorrupt,
    sqlite3.SQLITE_NOTADB: StoreCorrupt,
}


class SqliteDatabase:
    """One SQLite connection in WAL mode; every write is one BEGIN IMMEDIATE transaction.

    Table groups are mixins that name their DDL in `SCHEMA`; every group's is created on open.
    """

    SCHEMA = _SCHEMA

    def __init__(
        self, path: str, *, busy_timeout: float = 5.0, checkpoint_every: float = 1.0
    ) -> None:
        self._lock = threading.Lock()
        self._con: sqlite3.Connection | None = None
        # Decoded records by their stored text: a follow-up re-reads the same messages and
        # trades many times, and decoding is most of a read's cost.
        self._decoded: OrderedDict[Hashable, Any] = OrderedDict()
        self._decoded_lock = threading.Lock()
        self._checkpointer: Checkpointer | None = None
        if path != ":memory:":
            _private_database(Path(path))
        try:
            self._open(path, busy_timeout)
            self._create_schema()
        except BaseException:
            self.close()
            raise
        if path != ":memory:":
            self._checkpointer = Checkpointer(path, checkpoint_every)

    def close(self) -> None:
        """Stop the checkpointer and close the connection (idempotent)."""
        if self._checkpointer is not None:
            self._checkpointer.stop()
            self._checkpointer = None
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def _open(self, path: str, busy_timeout: float) -> None:
        try:
            self._con = con = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            con.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            con.execute("PRAGMA foreign_keys = ON")
            con.execute("PRAGMA journal_mode = WAL")
            con.execute("PRAGMA synchronous = NORMAL")
            if path != ":memory:":
                con.execute("PRAGMA wal_autocheckpoint = 0")  # the Checkpointer does it
        except sqlite3.DatabaseError as e:
            _raise_translated(e, path)

    def _create_schema(self) -> None:
        schemas = dict.fromkeys(getattr(cls, "SCHEMA", "") for cls in reversed(type(self).__mro__))
        with self._transaction() as con:
            for statement in filter(str.strip, ";".join(schemas).split(";")):
                con.execute(statement)
            (found,) = con.execute("SELECT MAX(version) FROM schema_version").fetchone()
            if found is None:
                con.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            elif found != SCHEMA_VERSION:
                age = "newer" if found > SCHEMA_VERSION else "older"
                raise StoreCorrupt(
                    f"database schema {found} is {age} than this release's {SCHEMA_VERSION}: "
                    "move the data folder aside (or use the release that wrote it)"
                )

    def _transaction(self) -> _Transaction:
        return _Transaction(self._lock, self._connection)

    def _write(self, sql: str, params: Any) -> int:
        with self._transaction() as con:
            return con.execute(sql, params).rowcount

    def _one(self, cls: type[T], sql: str, params: Any, where: str) -> T | None:
        rows = self._rows(sql, params)
        return load(cls, rows[0][0], where) if rows else None

    def _record(self, cls: type[T], text: str, where: str) -> T:
        """Decode a stored record of an immutable type (no dict or list inside, all frozen).

        The same text gives the same (shared) object while it is cached.
        """
        return self._memo((cls, text), lambda: load(cls, text, where))

    def _written(self, key: Hashable, record: object) -> None:
        """Keep a record just written as the decoding of its stored text (`key` as `_memo`'s).

        Its next read decodes nothing. Sound because the codec gives back exactly what it
        encoded (tests/integration/test_record_memo.py holds every cached record of the demo
        replay to it): the cache stays a function of what is stored, whoever wrote it.
        """
        with self._decoded_lock:
            self._decoded[key] = record
            self._decoded.move_to_end(key)
            if len(self._decoded) > CACHED_RECORDS:
                self._decoded.popitem(last=False)

    def _memo(self, key: Hashable, build: Callable[[], T]) -> T:
        with self._decoded_lock:
            found = self._decoded.get(key)
            if found is not None:
                self._decoded.move_to_end(key)
                return typing.cast(T, found)
        value = build()  # an unreadable record raises here, every time: nothing is kept
        with self._decoded_lock:
            self._decoded[key] = value
            if len(self._decoded) > CACHED_RECORDS:
                self._decoded.popitem(last=False)
        return value

    def _rows(self, sql: str, params: Any) -> list[Any]:
        with self._lock:
            try:
                return self._connection().execute(sql, params).fetchall()
            except sqlite3.DatabaseError as e:
                _raise_translated(e)

    def _connection(self) -> sqlite3.Connection:
        if self._con is None:
            raise RuntimeError("SqliteStore is closed")
        return self._con


def _private_database(path: Path) -> None:
    # Created 0600 before SQLite opens it: SQLite gives its -wal and -shm the database's mode,
    # whatever the umask. Files an older release left readable are tightened.
    private_file(path)
    for companion in ("-wal", "-shm"):
        tighten(path.with_name(path.name + companion))


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT under the store's lock, ROLLBACK on any error, SQLite errors
    translated. A class, not a generator-based context manager: every write goes through it."""

    __slots__ = ("_con", "_connect", "_lock")

    def __init__(self, lock: threading.Lock, connect: Callable[[], sqlite3.Connection]) -> None:
        self._lock, self._connect = lock, connect

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._con = self._connect()
            self._con.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as e:
            self._lock.release()
            _raise_translated(e)
        except BaseException:
            self._lock.release()
            raise
        return self._con

    def __exit__(self, kind: object, error: BaseException | None, _: object) -> None:
        failed_commit: BaseException | None = None
        try:
            if error is None:
                try:
                    self._con.execute("COMMIT")
                    return
                except BaseException as e:
                    failed_commit = error = e
            if self._con.in_transaction:
                self._con.execute("ROLLBACK")
        except sqlite3.DatabaseError as e:  # the ROLLBACK itself failed
            _raise_translated(e)
        finally:
            self._lock.release()
        if isinstance(error, sqlite3.DatabaseError):
            _raise_translated(error)
        if failed_commit is not None:
            raise failed_commit
        # Anything else the block raised propagates as it is.


def _raise_translated(e: sqlite3.DatabaseError, where: str = "") -> NoReturn:
    # Raise what the caller must do for this SQLite result code; unknown codes as they are.
    error = _ERRORS.get(getattr(e, "sqlite_errorcode", -1) & 0xFF)
    if error is None:
        raise e
    raise error(f"sqlite{f' {where}' if where else ''}: {e}") from e


def load(cls: type[T], text: str, where: str) -> T:
    return decode(cls, load_json(text, where), where)


def dump(record: object) -> str:
    return dump_json(encode(record))


def micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise InvalidInput("naive datetime: times must be timezone-aware")
    return (moment - EPOCH) // _MICROSECOND


@lru_cache(maxsize=4096)  # a trade's recorded_at is the time of its whole message
def stamp(moment: datetime) -> str:
    # Fixed width so text order is time order (isoformat drops zero microseconds unless told).
    micros(moment)
    utc = moment.astimezone(UTC)
    if utc.year < 1000:  # strftime does not pad such years; keep what it always wrote
        return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"  # "+00:00" → "Z"
