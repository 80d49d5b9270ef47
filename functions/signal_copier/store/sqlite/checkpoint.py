"""The background thread that checkpoints the SQLite WAL, off every message's write path."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress
from pathlib import Path

WAL_LIMIT = 16 * 1024 * 1024  # bytes of WAL past which a round also truncates it


class Checkpointer:
    """Copy the WAL into the database from a background thread, off the write path.

    SQLite's automatic checkpoint runs inside whichever commit crosses the threshold and makes
    that one message wait for an fsync; a passive checkpoint here never blocks writers. But a
    passive checkpoint never restarts the WAL while writes keep coming (each round ends behind
    the newest frame), so under a steady stream the WAL grew without bound (110 KB a message,
    gigabytes over a long replay, every read slower): past `wal_limit` a round truncates it,
    holding writers for the few frames the passive copy left.
    """

    def __init__(self, path: str, every: float, wal_limit: int = WAL_LIMIT) -> None:
        self._path, self._every, self._wal_limit = path, every, wal_limit
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Checkpoint once more and stop the thread."""
        self._stop.set()
        self._thread.join()

    def round(self, con: sqlite3.Connection) -> None:
        """Run one round on `con`: a passive copy, then a truncation if the WAL is too large."""
        self._checkpoint(con, "PASSIVE")
        if self._wal_size() > self._wal_limit:
            self._checkpoint(con, "TRUNCATE")

    def _run(self) -> None:
        con = sqlite3.connect(self._path, timeout=5.0, isolation_level=None)
        try:
            while not self._stop.wait(self._every):
                self.round(con)
            self._checkpoint(con, "TRUNCATE")
        finally:
            con.close()

    def _wal_size(self) -> int:
        try:
            return Path(f"{self._path}-wal").stat().st_size
        except OSError:
            return 0

    @staticmethod
    def _checkpoint(con: sqlite3.Connection, mode: str) -> None:
        # Busy or locked: the next round catches up; the WAL only grows meanwhile.
        with suppress(sqlite3.OperationalError):
            con.execute(f"PRAGMA wal_checkpoint({mode})")
