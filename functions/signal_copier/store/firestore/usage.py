"""Daily quota (used / missed per intent, idempotent), open-trade slots and netting symbols held
by openings.

users/{uid}/usage/{period}                          Usage: period, used, missed
users/{uid}/usage/{period}/reservations/{kind:intentId}   {intent_id, kind}: one per
                                                    counted intent (kind used|missed)
openings/{uid}                                      {user_id, held: {intentId: until}}
symbol_holds/{uid}                                  {user_id, held: {intentId: {symbol, until}}}
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from google.cloud.firestore_v1.async_document import AsyncDocumentReference

from signal_copier.core import ids
from signal_copier.core.records import Usage
from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import record_of, to_native


class UsageCollections(FirestoreClient):
    """Quota, open-trade slots and netting symbols of the `Store` port; one transaction each."""

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

    async def reserve_opening(
        self,
        user_id: str,
        intent_id: str,
        limit: int,
        live: Collection[str],
        now: datetime,
        hold: timedelta,
    ) -> bool:
        """Take an open-trade slot unless live trades and held slots reach `limit`."""
        ref = self.doc("openings", user_id)
        until, live_ids = to_native(now + hold), set(live)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            stored = _held(snaps[0])
            held = {key: end for key, end in stored.items() if end > now}  # expired slots go
            if intent_id in held:
                taken = True
            elif len(live_ids | {ids.client_id(h) for h in held}) >= limit:
                taken = False
            else:
                held, taken = {**held, intent_id: until}, True
            if held == stored:
                return taken, []
            return taken, [Write(ref, to_native({"user_id": user_id, "held": held}))]

        return await self.transact([ref], decide)

    async def release_opening(self, user_id: str, intent_id: str) -> None:
        """Give back an intent's open-trade slot."""
        ref = self.doc("openings", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            held = _held(snaps[0])
            if intent_id not in held:
                return None, []
            rest = {key: end for key, end in held.items() if key != intent_id}
            return None, [Write(ref, to_native({"user_id": user_id, "held": rest}))]

        await self.transact([ref], decide)

    async def reserve_symbol(
        self, user_id: str, symbol: str, intent_id: str, now: datetime, hold: timedelta
    ) -> bool:
        """Hold a netting account's symbol for an opening unless another opening holds it."""
        ref = self.doc("symbol_holds", user_id)
        mine = {"symbol": symbol, "until": to_native(now + hold)}

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            held = {k: h for k, h in _symbols(snaps[0]).items() if h["until"] > now}
            if any(h["symbol"] == symbol for k, h in held.items() if k != intent_id):
                return False, []
            held = {**held, intent_id: mine}  # taken, or the same intent's hold renewed
            return True, [Write(ref, to_native({"user_id": user_id, "held": held}))]

        return await self.transact([ref], decide)

    async def release_symbol(self, user_id: str, intent_id: str) -> None:
        """Give back the symbol an intent holds."""
        ref = self.doc("symbol_holds", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            held = _symbols(snaps[0])
            if intent_id not in held:
                return None, []
            rest = {key: h for key, h in held.items() if key != intent_id}
            return None, [Write(ref, to_native({"user_id": user_id, "held": rest}))]

        await self.transact([ref], decide)

    def _quota_refs(
        self, user_id: str, period: str, intent_id: str, kind: str
    ) -> list[AsyncDocumentReference]:
        usage = ("users", user_id, "usage", period)
        return [self.doc(*usage), self.doc(*usage, "reservations", f"{kind}:{intent_id}")]


def _count(
    refs: list[AsyncDocumentReference], usage: Usage, intent_id: str, kind: str
) -> list[Write]:
    held = {"intent_id": intent_id, "kind": kind}
    return [Write(refs[1], held), Write(refs[0], to_native(usage))]


def _usage(snap: Snapshot, period: str) -> Usage:
    if not snap.exists:
        return Usage(period=period)
    return record_of(Usage, snap.to_dict(), snap.reference.path)


def _held(snap: Snapshot) -> dict[str, Any]:
    held = (snap.to_dict() or {}).get("held", {}) if snap.exists else {}
    if not isinstance(held, dict) or not all(isinstance(v, datetime) for v in held.values()):
        raise StoreCorrupt(f"{snap.reference.path}: held slots are not times by intent")
    return held


def _symbols(snap: Snapshot) -> dict[str, dict[str, Any]]:
    held = (snap.to_dict() or {}).get("held", {}) if snap.exists else {}
    if not isinstance(held, dict) or not all(
        isinstance(h, dict)
        and isinstance(h.get("symbol"), str)
        and isinstance(h.get("until"), datetime)
        for h in held.values()
    ):
        raise StoreCorrupt(
            f"{snap.reference.path}: held symbols are not symbols and times by intent"
        )
    return held
