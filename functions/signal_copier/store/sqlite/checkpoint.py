"""The background thread that checkpoints the SQLite WAL, off every message's write path."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import suppress


class Checkpointer:
    """Copy the WAL into the database from a background thread, off the write path.

    SQLite's automatic checkpoint runs inside whichever commit crosses the threshold and makes
    that one message wait for an fsync; a passive checkpoint here never blocks writers.
    """

    def __init__(self, path: str, every: float) -> None:
        self._path, self._every = path, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Checkpoint once more and stop the thread."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        con = sqlite3.connect(self._path, timeout=5.0, isolation_level=None)
        try:
            while not self._stop.wait(self._every):
                self._checkpoint(con, "PASSIVE")
            self._checkpoint(con, "TRUNCATE")
        finally:
            con.close()

    @staticmethod
    def _checkpoint(con: sqlite3.Connection, mode: str) -> None:
        # Busy or locked: the next round catches up; the WAL only grows meanwhile.
        with suppress(sqlite3.OperationalError):
            con.execute(f"PRAGMA wal_checkpoint({mode})")
