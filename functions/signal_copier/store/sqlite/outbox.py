"""The in-process queue's journal: what was published and not yet handled survives a hard kill.

Pub/Sub keeps a published message until it is acknowledged; the in-process queue keeps its
messages in memory. Local runs whose data outlives the process (`run`, a live session, `serve`)
journal each publication here and forget it once handled, so a restart delivers what a kill
interrupted (handlers are idempotent: a delivery of something already done changes nothing).
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from signal_copier.store.sqlite.db import SqliteDatabase

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,
  data TEXT NOT NULL, attributes TEXT NOT NULL);
"""

Kept = tuple[int, str, str, dict[str, str]]  # seq, topic, data, attributes


class OutboxTables(SqliteDatabase):
    """Publications not yet handled, in publish order; each change is one transaction."""

    SCHEMA = _SCHEMA

    def keep(self, topic: str, data: str, attributes: Mapping[str, str]) -> int:
        """Journal one publication; return its sequence number."""
        sql = "INSERT INTO outbox (topic, data, attributes) VALUES (?, ?, ?)"
        with self._transaction() as con:
            seq = con.execute(sql, (topic, data, json.dumps(dict(attributes)))).lastrowid
        if seq is None:  # sqlite3 gives one for every INSERT into a rowid table
            raise RuntimeError("sqlite gave no rowid for an outbox row")
        return seq

    def forget(self, seq: int) -> None:
        """Drop a publication that was handled (or given up on)."""
        self._write("DELETE FROM outbox WHERE seq = ?", (seq,))

    def kept(self) -> list[Kept]:
        """Return every publication not yet handled, oldest first."""
        rows = self._rows("SELECT seq, topic, data, attributes FROM outbox ORDER BY seq", ())
        return [(seq, topic, data, json.loads(labels)) for seq, topic, data, labels in rows]
