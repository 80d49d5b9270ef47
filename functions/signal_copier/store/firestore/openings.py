"""What an opening holds while it places: an open-trade slot, and a netting account's symbol.

openings/{uid}      {user_id, held: {intentId: until}, settled: {intentId: mark}, mark: n}
symbol_holds/{uid}  {user_id, held: {intentId: {symbol, until[, settled: mark]}}}

`mark` counts the user's settled openings; what an opening settled at mark m holds counts, for
an opening whose account read began after it saw mark ≥ m, only through that read (see
`LimitStore`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from google.cloud.firestore_v1.async_document import AsyncDocumentReference

from signal_copier.core import ids
from signal_copier.store import StoreCorrupt
from signal_copier.store.firestore.client import FirestoreClient, Snapshot, Write
from signal_copier.store.firestore.encoding import to_native


@dataclass(frozen=True, slots=True, kw_only=True)
class _Slots:
    # One user's open-trade slots as stored: until when each is held, and when it settled.
    held: dict[str, datetime] = field(default_factory=dict)
    settled: dict[str, int] = field(default_factory=dict)
    mark: int = 0

    def live_after(self, now: datetime) -> _Slots:
        held = {key: end for key, end in self.held.items() if end > now}  # expired slots go
        settled = {key: m for key, m in self.settled.items() if key in held}
        return _Slots(held=held, settled=settled, mark=self.mark)

    def counted(self, seen: int | None) -> set[str]:
        # A slot settled at or before the mark the caller read before its account read is
        # counted by that read (its trade is there if still open): it adds nothing here.
        if seen is None:
            return set(self.held)
        return {key for key in self.held if self.settled.get(key, seen + 1) > seen}

    def write(self, ref: AsyncDocumentReference, user_id: str) -> Write:
        doc = {"user_id": user_id, "held": self.held, "settled": self.settled, "mark": self.mark}
        return Write(ref, to_native(doc))


class OpeningCollections(FirestoreClient):
    """Open-trade slots and netting symbols of the `Store` port; one transaction each."""

    async def opening_mark(self, user_id: str) -> int:
        """Return how many of the user's openings have settled (read before the account)."""
        return _slots(await self.get(self.doc("openings", user_id))).mark

    async def reserve_opening(
        self,
        user_id: str,
        intent_id: str,
        limit: int,
        live: Collection[str],
        now: datetime,
        hold: timedelta,
        *,
        seen: int | None = None,
    ) -> bool:
        """Take an open-trade slot unless live trades and counted slots reach `limit`."""
        ref = self.doc("openings", user_id)
        live_ids = set(live)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            stored = _slots(snaps[0])
            slots = stored.live_after(now)
            if intent_id in slots.held:
                taken = True
            elif len(live_ids | {ids.client_id(h) for h in slots.counted(seen)}) >= limit:
                taken = False
            else:
                held = {**slots.held, intent_id: now + hold}
                slots, taken = _Slots(held=held, settled=slots.settled, mark=slots.mark), True
            if slots == stored:
                return taken, []
            return taken, [slots.write(ref, user_id)]

        return await self.transact([ref], decide)

    async def settle_opening(self, user_id: str, intent_id: str) -> None:
        """Settle what an opening holds (its orders are on the account); nothing held: nothing."""
        refs = [self.doc("openings", user_id), self.doc("symbol_holds", user_id)]

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            slots, symbols = _slots(snaps[0]), _symbols(snaps[1])
            slot = intent_id in slots.held and intent_id not in slots.settled
            symbol = intent_id in symbols and "settled" not in symbols[intent_id]
            if not (slot or symbol):
                return None, []
            mark = slots.mark + 1
            settled = {**slots.settled, intent_id: mark} if slot else slots.settled
            writes = [_Slots(held=slots.held, settled=settled, mark=mark).write(refs[0], user_id)]
            if symbol:
                held = {**symbols, intent_id: {**symbols[intent_id], "settled": mark}}
                writes.append(Write(refs[1], to_native({"user_id": user_id, "held": held})))
            return None, writes

        await self.transact(refs, decide)

    async def release_opening(self, user_id: str, intent_id: str) -> None:
        """Give back an intent's open-trade slot."""
        ref = self.doc("openings", user_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            slots = _slots(snaps[0])
            if intent_id not in slots.held:
                return None, []
            held = {key: end for key, end in slots.held.items() if key != intent_id}
            settled = {key: m for key, m in slots.settled.items() if key != intent_id}
            return None, [_Slots(held=held, settled=settled, mark=slots.mark).write(ref, user_id)]

        await self.transact([ref], decide)

    async def reserve_symbol(
        self,
        user_id: str,
        symbol: str,
        intent_id: str,
        now: datetime,
        hold: timedelta,
        *,
        seen: int | None = None,
    ) -> bool:
        """Hold a netting account's symbol for an opening unless another opening holds it."""
        ref = self.doc("symbol_holds", user_id)
        mine = {"symbol": symbol, "until": to_native(now + hold)}

        def blocks(key: str, held: dict[str, Any]) -> bool:
            # Another opening settled at or before `seen` shows in the account read after it.
            settled = held.get("settled")
            shown = seen is not None and settled is not None and settled <= seen
            return key != intent_id and held["symbol"] == symbol and not shown

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            held = {k: h for k, h in _symbols(snaps[0]).items() if h["until"] > now}
            if any(blocks(k, h) for k, h in held.items()):
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


def _slots(snap: Snapshot) -> _Slots:
    doc = (snap.to_dict() or {}) if snap.exists else {}
    held, settled, mark = doc.get("held", {}), doc.get("settled", {}), doc.get("mark", 0)
    if not isinstance(held, dict) or not all(isinstance(v, datetime) for v in held.values()):
        raise StoreCorrupt(f"{snap.reference.path}: held slots are not times by intent")
    if not isinstance(settled, dict) or not all(_count(v) for v in [mark, *settled.values()]):
        raise StoreCorrupt(f"{snap.reference.path}: settled slots are not marks by intent")
    return _Slots(held=held, settled=settled, mark=mark)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _symbols(snap: Snapshot) -> dict[str, dict[str, Any]]:
    held = (snap.to_dict() or {}).get("held", {}) if snap.exists else {}
    if not isinstance(held, dict) or not all(
        isinstance(h, dict)
        and isinstance(h.get("symbol"), str)
        and isinstance(h.get("until"), datetime)
        and _count(h.get("settled", 0))
        for h in held.values()
    ):
        raise StoreCorrupt(
            f"{snap.reference.path}: held symbols are not symbols and times by intent"
        )
    return held
