"""The SQLite WAL stays bounded however steadily messages are written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from signal_copier.store.sqlite.checkpoint import Checkpointer

ROWS = 500
LIMIT = 64 * 1024


def _written(path: Path) -> sqlite3.Connection:
    # As the store writes: WAL mode, automatic checkpoints off, one transaction per row.
    con = sqlite3.connect(path, isolation_level=None)
    con.execute("PRAGMA journal_mode = WAL")
    con.execute("PRAGMA wal_autocheckpoint = 0")
    con.execute("CREATE TABLE t (n INTEGER, body BLOB)")
    for n in range(ROWS):
        con.execute("INSERT INTO t VALUES (?, ?)", (n, bytes(1000)))
    return con


def _wal(path: Path) -> int:
    return path.with_name(path.name + "-wal").stat().st_size


def test_a_round_truncates_a_wal_past_its_limit_and_keeps_every_row(tmp_path: Path) -> None:
    path = tmp_path / "copier.sqlite3"
    writer = _written(path)
    assert _wal(path) > LIMIT
    checkpointer = Checkpointer(str(path), every=3600, wal_limit=LIMIT)
    try:
        with sqlite3.connect(path, isolation_level=None) as con:
            checkpointer.round(con)
        assert _wal(path) == 0
        writer.execute("INSERT INTO t VALUES (?, ?)", (ROWS, b""))
        with sqlite3.connect(path) as reader:
            assert reader.execute("SELECT COUNT(*) FROM t").fetchone() == (ROWS + 1,)
    finally:
        checkpointer.stop()
        writer.close()


def test_a_round_under_the_limit_copies_without_holding_writers(tmp_path: Path) -> None:
    # Passive only: the WAL file is left for the writer to reuse, nothing waits on a lock.
    path = tmp_path / "copier.sqlite3"
    writer = _written(path)
    size = _wal(path)
    checkpointer = Checkpointer(str(path), every=3600, wal_limit=size * 2)
    try:
        with sqlite3.connect(path, isolation_level=None) as con:
            checkpointer.round(con)
            (busy, frames, copied) = con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        assert _wal(path) == size
        assert (busy, copied) == (0, frames)
    finally:
        checkpointer.stop()
        writer.close()
