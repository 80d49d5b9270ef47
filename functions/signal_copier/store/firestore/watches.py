"""Accounts the sweep polls for deals: those holding trades the copier manages.

watches/{uid}    {user_id, since: Timestamp (deals cursor), touched: Timestamp (last watch)}
"""

from __future__ import annotations

from datetime import UTC, datetime

from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write


class WatchCollections(FirestoreClient):
    """The watch list and each account's deal cursor; every change is one transaction."""

    async def watch(self, user_id: str, since: datetime, now: datetime) -> None:
        """Poll a user's account for deals from `since` on (an earlier `since` is kept)."""
        ref = self.doc("watches", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            start, touched = since, now
            if snaps[0].exists:
                stored_since, stored_touched = _times(snaps[0])
                start, touched = min(since, stored_since), max(now, stored_touched)
            return None, [Write(ref, {"user_id": user_id, "since": start, "touched": touched})]

        await self.transact([ref], decide)

    async def watched(self, limit: int, after: str | None = None) -> list[tuple[str, datetime]]:
        """Return (user id, deals since) of watched accounts by user id, after `after`."""
        query = self.db.collection("watches").order_by("user_id")
        if after is not None:
            query = query.where(filter=FieldFilter("user_id", ">", after))
        found = await self.first(query.limit(limit), "watches")
        return [(str(snap.get("user_id")), _times(snap)[0]) for snap in found]

    async def advance_watch(self, user_id: str, since: datetime) -> None:
        """Move a watched account's deal cursor forward to `since` (never back)."""
        ref = self.doc("watches", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            if not snaps[0].exists or _times(snaps[0])[0] >= since:
                return None, []
            return None, [Write(ref, {"since": since}, merge=True)]

        await self.transact([ref], decide)

    async def unwatch(self, user_id: str, checked: datetime) -> bool:
        """Stop polling unless a trade was opened (watch called) at or after `checked`."""
        ref = self.doc("watches", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            if not snaps[0].exists or _times(snaps[0])[1] >= checked:
                return False, []
            return True, [Write(ref)]

        return await self.transact([ref], decide)


def _times(snap: Snapshot) -> tuple[datetime, datetime]:
    since, touched = snap.get("since"), snap.get("touched")
    if not isinstance(since, datetime) or not isinstance(touched, datetime):
        raise StoreCorrupt(f"{snap.reference.path}: since and touched must be Timestamps")
    return since.astimezone(UTC), touched.astimezone(UTC)
