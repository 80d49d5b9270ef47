"""Daily quota (used / missed per intent, idempotent); what openings hold is in `openings`.

users/{uid}/usage/{period}                          Usage: period, used, missed
users/{uid}/usage/{period}/reservations/{kind:intentId}   {intent_id, kind}: one per
                                                    counted intent (kind used|missed)
"""

from __future__ import annotations

from dataclasses import replace

from google.cloud.firestore_v1.async_document import AsyncDocumentReference

from signal_copier.core.records import Usage
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import record_of, to_native


class UsageCollections(FirestoreClient):
    """The daily quota of the `Store` port; one transaction each."""

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
