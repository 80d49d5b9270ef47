"""Intent claims, quota and trade records: every change that must not happen twice.

    intents/{intentId}                                  IntentDoc (claim state) + expire_at (TTL)
    users/{uid}/usage/{period}                          Usage: used, missed
    users/{uid}/usage/{period}/reservations/{kind:intentId}   one per counted intent (kind
                                                        used|missed): makes each count idempotent
    users/{uid}/trades/{intentId}                       TradeRecord fields + client_id + seq

`seq` orders trades saved in the same instant: taken at the record's first save (from a clock
that is strictly increasing within this process) and kept by every later save.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from google.cloud.firestore_v1.async_document import AsyncDocumentReference

from signal_copier.core.errors import InvalidInput
from signal_copier.core.records import Claim, ClaimState, TradeRecord, Usage
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import doc_id, record_of, to_native
from signal_copier.store.firestore.schema import (
    INTENT_RETENTION,
    SIGNAL_TRADES_OLDEST_FIRST,
    TRADES_OLDEST_FIRST,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class IntentState(StrEnum):
    IN_FLIGHT = "in_flight"
    DONE = "done"


@dataclass(frozen=True, slots=True, kw_only=True)
class IntentDoc:
    """The claim document of one intent."""

    intent_id: str
    owner: str
    state: IntentState
    attempt: int
    lease_until: datetime
    finished_at: datetime | None = None
    expire_at: datetime


class ClaimCollections(FirestoreClient):
    """Claims, quota and trades of the `Store` port; each change is one transaction."""

    _seq = 0

    async def claim(self, intent_id: str, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Claim an intent until now + lease; a live lease is BUSY whoever asks."""
        if lease <= timedelta(0):
            raise InvalidInput(f"lease must be positive, got {lease}")
        _aware(now)
        ref = self.doc("intents", intent_id)
        until, expire = now + lease, now + INTENT_RETENTION

        def decide(snaps: list[Snapshot]) -> tuple[Claim, list[Write]]:
            if not snaps[0].exists:
                new = IntentDoc(
                    intent_id=intent_id,
                    owner=owner,
                    state=IntentState.IN_FLIGHT,
                    attempt=1,
                    lease_until=until,
                    expire_at=expire,
                )
                return Claim(state=ClaimState.NEW, attempt=1), [Write(ref, to_native(new))]
            held = _intent(snaps[0])
            if held.state is IntentState.DONE:
                return Claim(state=ClaimState.DONE, attempt=held.attempt), []
            if held.lease_until > now:
                return Claim(state=ClaimState.BUSY, attempt=held.attempt), []
            taken = replace(
                held, owner=owner, attempt=held.attempt + 1, lease_until=until, expire_at=expire
            )
            return Claim(state=ClaimState.RETRY, attempt=taken.attempt), [
                Write(ref, to_native(taken))
            ]

        return await self.transact([ref], decide)

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> None:
        """Mark an intent done and store its record, if `owner` holds its claim; else nothing."""
        _aware(now)
        ref = self.doc("intents", intent_id)
        refs = [ref] if record is None else [ref, self._trade_ref(record)]
        trade = None if record is None else self._trade_data(record)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            held = _intent(snaps[0]) if snaps[0].exists else None
            if held is None or held.state is not IntentState.IN_FLIGHT or held.owner != owner:
                return None, []
            expire = max(held.expire_at, now + INTENT_RETENTION)
            done = replace(held, state=IntentState.DONE, finished_at=now, expire_at=expire)
            writes = [Write(ref, to_native(done))]
            if trade is not None:
                writes.append(_trade_write(refs[1], snaps[1], trade))
            return None, writes

        await self.transact(refs, decide)

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End `owner`'s lease now so the next claim is a RETRY; change nothing otherwise."""
        ref = self.doc("intents", intent_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            held = _intent(snaps[0]) if snaps[0].exists else None
            if held is None or held.state is not IntentState.IN_FLIGHT or held.owner != owner:
                return None, []
            return None, [Write(ref, to_native(replace(held, owner="", lease_until=EPOCH)))]

        await self.transact([ref], decide)

    async def reserve_quota(
        self, user_id: str, period: str, intent_id: str, limit: int | None
    ) -> bool:
        """Take one trade of the period for an intent (idempotent); False if the period is full."""
        refs = self._quota_refs(user_id, period, intent_id, "used")

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            if snaps[1].exists:
                return True, []
            usage = _usage(snaps[0], period)
            if limit is not None and usage.used >= limit:
                return False, []
            return True, _count(refs, replace(usage, used=usage.used + 1), intent_id, "used")

        return await self.transact(refs, decide)

    async def release_quota(self, user_id: str, period: str, intent_id: str) -> None:
        """Give back an intent's reservation (idempotent)."""
        refs = self._quota_refs(user_id, period, intent_id, "used")

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            if not snaps[1].exists:
                return None, []
            usage = _usage(snaps[0], period)
            given_back = to_native(replace(usage, used=usage.used - 1))
            return None, [Write(refs[1]), Write(refs[0], given_back)]

        await self.transact(refs, decide)

    async def record_missed(self, user_id: str, period: str, intent_id: str) -> None:
        """Count an intent as missed for quota, once."""
        refs = self._quota_refs(user_id, period, intent_id, "missed")

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            if snaps[1].exists:
                return None, []
            usage = _usage(snaps[0], period)
            return None, _count(refs, replace(usage, missed=usage.missed + 1), intent_id, "missed")

        await self.transact(refs, decide)

    async def usage(self, user_id: str, period: str) -> Usage:
        """Return trades used and missed in a period (zeros when none)."""
        return _usage(await self.get(self.doc("users", user_id, "usage", period)), period)

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace one intent's record (keeping its place among records saved at once)."""
        ref, data = self._trade_ref(record), self._trade_data(record)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            return None, [_trade_write(ref, snaps[0], data)]

        await self.transact([ref], decide)

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        snap = await self.get(self.doc("users", user_id, "trades", intent_id))
        return _trade(snap) if snap.exists else None

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's records by recorded_at then first save; only one signal's if given."""
        trades = self.db.collection("users", doc_id(user_id), "trades")
        query = (
            TRADES_OLDEST_FIRST.build(trades)
            if signal_ref is None
            else SIGNAL_TRADES_OLDEST_FIRST.build(trades, signal_ref)
        )
        return [_trade(s) for s in await self.every(query, "trades")]

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        trades = self.db.collection("users", doc_id(user_id), "trades")
        found = await self.chunked_in(trades, "client_id", client_ids, "trades")
        records = [(_trade(s), _seq_of(s) or 0, s.id) for s in found]
        records.sort(
            key=lambda r: (r[0].recorded_at is not None, r[0].recorded_at or EPOCH, *r[1:])
        )
        return [record for record, *_ in records]

    def _quota_refs(
        self, user_id: str, period: str, intent_id: str, kind: str
    ) -> list[AsyncDocumentReference]:
        usage = ("users", user_id, "usage", period)
        return [self.doc(*usage), self.doc(*usage, "reservations", f"{kind}:{intent_id}")]

    def _trade_ref(self, record: TradeRecord) -> AsyncDocumentReference:
        return self.doc("users", record.intent.user_id, "trades", record.intent.id)

    def _trade_data(self, record: TradeRecord) -> dict[str, Any]:
        data: dict[str, Any] = to_native(record)
        self._seq = max(self._seq + 1, time.time_ns())
        data.update(client_id=record.intent.client_id, seq=self._seq)
        return data


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("naive datetime: times must be timezone-aware")


def _count(
    refs: list[AsyncDocumentReference], usage: Usage, intent_id: str, kind: str
) -> list[Write]:
    held = {"intent_id": intent_id, "kind": kind}
    return [Write(refs[1], held), Write(refs[0], to_native(usage))]


def _trade_write(ref: AsyncDocumentReference, existing: Snapshot, data: dict[str, Any]) -> Write:
    kept = _seq_of(existing) if existing.exists else None
    return Write(ref, data if kept is None else {**data, "seq": kept})


def _seq_of(snap: Snapshot) -> int | None:
    seq = (snap.to_dict() or {}).get("seq")
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _intent(snap: Snapshot) -> IntentDoc:
    return record_of(IntentDoc, snap.to_dict(), snap.reference.path)


def _usage(snap: Snapshot, period: str) -> Usage:
    if not snap.exists:
        return Usage(period=period)
    return record_of(Usage, snap.to_dict(), snap.reference.path)


def _trade(snap: Snapshot) -> TradeRecord:
    return record_of(TradeRecord, snap.to_dict(), snap.reference.path)
