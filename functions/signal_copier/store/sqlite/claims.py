"""Intent claims (exactly-once execution, attempts) and parked follow-ups."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta

from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Intent
from signal_copier.core.records import Claim, ClaimState, ParkedIntent, TradeRecord
from signal_copier.store.sqlite.db import SqliteDatabase, dump, micros
from signal_copier.store.sqlite.trades import UPSERT_TRADE, trade_row

_SCHEMA = """
CREATE TABLE IF NOT EXISTS intents (intent_id TEXT PRIMARY KEY, owner TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('in_flight', 'done', 'parked')),
  attempt INTEGER NOT NULL, lease_until INTEGER NOT NULL, finished_at INTEGER,
  payload TEXT NOT NULL);
DROP INDEX IF EXISTS intents_expiring;
CREATE INDEX IF NOT EXISTS intents_expired_on_topic ON intents (lease_until, intent_id)
  WHERE state = 'in_flight' AND json_extract(payload, '$.kind') != 'manage';
CREATE TABLE IF NOT EXISTS parked (intent_id TEXT PRIMARY KEY, chat_id TEXT NOT NULL,
  awaiting INTEGER NOT NULL, user_id TEXT NOT NULL, until INTEGER NOT NULL,
  payload TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS parked_by_target ON parked (chat_id, awaiting, user_id);
CREATE INDEX IF NOT EXISTS parked_by_until ON parked (until);
"""
_STATES = {"in_flight": ClaimState.BUSY, "done": ClaimState.DONE, "parked": ClaimState.PARKED}
INTENT_TEXTS = 256  # intents claimed here whose stored text is kept until they finish, at most
FIRST_CLAIMS = 4096  # claims this store made by inserting their intent, noted until they end


class ClaimTables(SqliteDatabase):
    """Claims and parking; each method is one BEGIN IMMEDIATE transaction."""

    SCHEMA = _SCHEMA

    def __init__(self, path: str, **options: float) -> None:
        # intent id → (the intent, its stored text): the claim, a park and the finish's trade
        # record all write the text of one intent object, which is encoded once.
        self._intent_texts: dict[str, tuple[Intent, str]] = {}
        # (intent id, owner) of claims made here by inserting their intent's first row. Such a
        # claim, still held when it finishes, has no parked entry to remove: a park needs the
        # row (none existed before the insert) held by its owner, and it ends that owner's
        # claim; a later claim by the same owner (an UPDATE) drops the note. Forgotten: removed.
        self._first_claims: dict[tuple[str, str], bool] = {}
        super().__init__(path, **options)

    async def claim(self, intent: Intent, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Claim an intent until now + lease; a live lease is BUSY whoever asks."""
        if lease <= timedelta(0):
            raise InvalidInput(f"lease must be positive, got {lease}")
        now_us, until_us = micros(now), micros(now + lease)
        payload = self._intent_text(intent)  # encoded before the lock is taken
        with self._transaction() as con:
            # Most claims are first claims: one statement then, a read only for the others.
            sql = (
                "INSERT INTO intents VALUES (?, ?, 'in_flight', 1, ?, NULL, ?)"
                " ON CONFLICT (intent_id) DO NOTHING"
            )
            if not con.execute(sql, (intent.id, owner, until_us, payload)).rowcount:
                self._forget_first(intent.id, owner)  # held now (if at all) by this UPDATE
                return _claimed_again(con, intent.id, owner, now_us, until_us)
        with self._decoded_lock:
            firsts = self._first_claims
            firsts[(intent.id, owner)] = True
            if len(firsts) > FIRST_CLAIMS:
                del firsts[next(iter(firsts))]
        return Claim(state=ClaimState.NEW, attempt=1)

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> bool:
        """Mark an intent done and store its record, if `owner` holds its claim."""
        sql = "UPDATE intents SET state = 'done', finished_at = ? WHERE intent_id = ? AND owner = ?"
        with self._decoded_lock:
            claimed = self._intent_texts.pop(intent_id, None)
            first = self._first_claims.pop((intent_id, owner), False)
        row = None  # encoded before the lock is taken
        if record is not None:
            same = claimed is not None and claimed[0] is record.intent
            row = trade_row(record, claimed[1] if same and claimed else None)
        with self._transaction() as con:
            done = con.execute(f"{sql} AND state = 'in_flight'", (micros(now), intent_id, owner))
            if not done.rowcount:
                return False
            if row is not None:
                con.execute(UPSERT_TRADE, row)
            if not first:  # a first claim still held was never parked (see __init__)
                con.execute("DELETE FROM parked WHERE intent_id = ?", (intent_id,))
        if record is not None and row is not None:
            self._written((TradeRecord, row[3]), record)
        return True

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End `owner`'s lease now so the next claim is a RETRY; change nothing otherwise."""
        sql = "UPDATE intents SET owner = '', lease_until = 0 WHERE intent_id = ? AND owner = ?"
        self._forget_first(intent_id, owner)
        self._write(f"{sql} AND state = 'in_flight'", (intent_id, owner))

    async def holds_claim(self, intent_id: str, owner: str) -> bool:
        """Return whether `owner` still holds the intent's claim."""
        sql = "SELECT 1 FROM intents WHERE intent_id = ? AND owner = ? AND state = 'in_flight'"
        return bool(self._rows(sql, (intent_id, owner)))

    async def park(self, parked: ParkedIntent, owner: str) -> bool:
        """Park an intent `owner` holds: state parked, lease ended, entry kept until it runs."""
        intent = parked.intent
        self._forget_first(intent.id, owner)
        sql = (
            "UPDATE intents SET state = 'parked', owner = '', lease_until = 0"
            " WHERE intent_id = ? AND owner = ? AND state = 'in_flight'"
        )
        with self._transaction() as con:
            if not con.execute(sql, (intent.id, owner)).rowcount:
                return False
            row = (
                intent.id,
                intent.chat_id,
                parked.awaiting,
                intent.user_id,
                micros(parked.until),
                self._intent_text(intent),
            )
            con.execute("INSERT OR REPLACE INTO parked VALUES (?, ?, ?, ?, ?, ?)", row)
            return True

    async def parked_on(
        self, chat_id: str, message_id: int, user_id: str | None = None
    ) -> list[Intent]:
        """Return the intents parked awaiting a message (one user's, or everyone's)."""
        sql, params = (
            "SELECT payload FROM parked WHERE chat_id = ? AND awaiting = ?",
            [
                chat_id,
                message_id,
            ],
        )
        if user_id is not None:
            sql, params = f"{sql} AND user_id = ?", [*params, user_id]
        return self._intents(self._rows(f"{sql} ORDER BY until, intent_id", params))

    async def due_parked(self, now: datetime, limit: int) -> list[Intent]:
        """Return parked intents whose bound is at or before `now`, earliest first."""
        sql = "SELECT payload FROM parked WHERE until <= ? ORDER BY until, intent_id LIMIT ?"
        return self._intents(self._rows(sql, (micros(now), limit)))

    async def expired_claims(self, now: datetime, limit: int) -> list[Intent]:
        """Return intents in flight whose lease ended at or before `now` (management left out)."""
        # The same terms as the partial index's, so only the intents due are read.
        sql = (
            "SELECT payload FROM intents WHERE state = 'in_flight'"
            " AND json_extract(payload, '$.kind') != 'manage' AND lease_until <= ?"
            " ORDER BY lease_until, intent_id LIMIT ?"
        )
        return self._intents(self._rows(sql, (micros(now), limit)))

    async def claim_states(self, intent_ids: Sequence[str]) -> dict[str, ClaimState]:
        """Return the stored claim state of those intents that have one."""
        wanted = sorted(set(intent_ids))
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT intent_id, state FROM intents WHERE intent_id IN ({marks})"
        return {intent_id: _STATES[state] for intent_id, state in self._rows(sql, wanted)}

    def _intent_text(self, intent: Intent) -> str:
        # The same object gives the same text: an Intent is immutable all through (frozen, and
        # no dict or list inside), so its identity stands for its encoding.
        texts = self._intent_texts
        found = texts.get(intent.id)
        if found is not None and found[0] is intent:
            return found[1]
        text = dump(intent)
        with self._decoded_lock:
            texts[intent.id] = (intent, text)
            if len(texts) > INTENT_TEXTS:
                del texts[next(iter(texts))]
        return text

    def _forget_first(self, intent_id: str, owner: str) -> None:
        with self._decoded_lock:
            self._first_claims.pop((intent_id, owner), None)

    def _intents(self, rows: list[tuple[str]]) -> list[Intent]:
        return [self._record(Intent, row[0], "intents") for row in rows]


def _claimed_again(
    con: sqlite3.Connection, intent_id: str, owner: str, now_us: int, until_us: int
) -> Claim:
    # A claim of an intent that has a row already: done, busy, or taken again.
    sql = "SELECT state, attempt, lease_until FROM intents WHERE intent_id = ?"
    state, attempt, lease_until = con.execute(sql, (intent_id,)).fetchone()
    if state == "done":
        return Claim(state=ClaimState.DONE, attempt=attempt)
    if state == "in_flight" and lease_until > now_us:
        return Claim(state=ClaimState.BUSY, attempt=attempt)
    if state == "parked":  # a re-run after waiting: not a new attempt
        taken = ClaimState.NEW if attempt == 1 else ClaimState.RETRY
    else:
        taken, attempt = ClaimState.RETRY, attempt + 1
    sql = (
        "UPDATE intents SET owner = ?, state = 'in_flight', attempt = ?, lease_until = ?"
        " WHERE intent_id = ?"
    )
    con.execute(sql, (owner, attempt, until_us, intent_id))
    return Claim(state=taken, attempt=attempt)
