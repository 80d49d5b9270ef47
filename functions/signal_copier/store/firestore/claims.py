"""Intent claims (exactly-once execution, attempts, the intent's payload) and parked intents.

intents/{intentId}   IntentDoc: state in_flight|done|parked, owner, attempt, lease_until,
                     the intent itself, expire_at (TTL: last claim or finish + 10 days)
parked/{intentId}    ParkedDoc: the intent, the message it awaits (chat_id, awaiting),
                     user_id and `until`; keyed by intent so finishing removes it in the
                     same transaction (ARCHITECTURE's parked/{messageKey}/… as fields)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from google.cloud.firestore_v1.base_query import FieldFilter

from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Intent, IntentKind
from signal_copier.core.records import Claim, ClaimState, ParkedIntent, TradeRecord
from signal_copier.store.firestore.client import Snapshot, Write
from signal_copier.store.firestore.encoding import record_of, to_native
from signal_copier.store.firestore.schema import EXPIRED_CLAIMS, INTENT_RETENTION
from signal_copier.store.firestore.trades import TradeCollections, trade_write

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class IntentState(StrEnum):
    IN_FLIGHT = "in_flight"
    DONE = "done"
    PARKED = "parked"


_STATES = {
    IntentState.IN_FLIGHT: ClaimState.BUSY,
    IntentState.DONE: ClaimState.DONE,
    IntentState.PARKED: ClaimState.PARKED,
}


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
    intent: Intent


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedDoc:
    """A parked intent, found by the message it awaits and by its bound."""

    intent_id: str
    chat_id: str
    awaiting: int
    user_id: str
    until: datetime
    intent: Intent


class ClaimCollections(TradeCollections):
    """Claims and parking of the `Store` port; every change is one transaction."""

    async def claim(self, intent: Intent, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Claim an intent until now + lease; a live lease is BUSY whoever asks."""
        if lease <= timedelta(0):
            raise InvalidInput(f"lease must be positive, got {lease}")
        _aware(now)
        ref = self.doc("intents", intent.id)
        until, expire = now + lease, now + INTENT_RETENTION

        def decide(snaps: list[Snapshot]) -> tuple[Claim, list[Write]]:
            if not snaps[0].exists:
                new = IntentDoc(
                    intent_id=intent.id,
                    owner=owner,
                    state=IntentState.IN_FLIGHT,
                    attempt=1,
                    lease_until=until,
                    expire_at=expire,
                    intent=intent,
                )
                return Claim(state=ClaimState.NEW, attempt=1), [Write(ref, to_native(new))]
            held = _intent(snaps[0])
            if held.state is IntentState.DONE:
                return Claim(state=ClaimState.DONE, attempt=held.attempt), []
            if held.state is IntentState.IN_FLIGHT and held.lease_until > now:
                return Claim(state=ClaimState.BUSY, attempt=held.attempt), []
            if held.state is IntentState.PARKED:  # a re-run after waiting: not a new attempt
                state, attempt = _rerun(held.attempt), held.attempt
            else:
                state, attempt = ClaimState.RETRY, held.attempt + 1
            taken = replace(
                held,
                owner=owner,
                state=IntentState.IN_FLIGHT,
                attempt=attempt,
                lease_until=until,
                expire_at=expire,
            )
            return Claim(state=state, attempt=attempt), [Write(ref, to_native(taken))]

        return await self.transact([ref], decide)

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> bool:
        """Mark an intent done and store its record, if `owner` holds its claim."""
        _aware(now)
        refs = [self.doc("intents", intent_id), self.doc("parked", intent_id)]
        if record is not None:
            refs.append(self.trade_ref(record))
        trade = None if record is None else self.trade_data(record)

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            held = _intent(snaps[0]) if snaps[0].exists else None
            if held is None or held.state is not IntentState.IN_FLIGHT or held.owner != owner:
                return False, []
            done = replace(held, state=IntentState.DONE, finished_at=now, expire_at=_expiry(now))
            writes = [Write(refs[0], to_native(done)), Write(refs[1])]
            if trade is not None:
                writes.append(trade_write(refs[2], snaps[2], trade))
            return True, writes

        return await self.transact(refs, decide)

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End `owner`'s lease now so the next claim is a RETRY; change nothing otherwise."""
        ref = self.doc("intents", intent_id)

        def decide(snaps: list[Snapshot]) -> tuple[None, list[Write]]:
            held = _intent(snaps[0]) if snaps[0].exists else None
            if held is None or held.state is not IntentState.IN_FLIGHT or held.owner != owner:
                return None, []
            return None, [Write(ref, to_native(replace(held, owner="", lease_until=EPOCH)))]

        await self.transact([ref], decide)

    async def holds_claim(self, intent_id: str, owner: str) -> bool:
        """Return whether `owner` still holds the intent's claim."""
        snap = await self.get(self.doc("intents", intent_id))
        held = _intent(snap) if snap.exists else None
        return held is not None and held.state is IntentState.IN_FLIGHT and held.owner == owner

    async def park(self, parked: ParkedIntent, owner: str) -> bool:
        """Park an intent `owner` holds: state parked, lease ended, entry kept until it runs."""
        intent = parked.intent
        ref, entry = self.doc("intents", intent.id), self.doc("parked", intent.id)
        data = to_native(
            ParkedDoc(
                intent_id=intent.id,
                chat_id=intent.chat_id,
                awaiting=parked.awaiting,
                user_id=intent.user_id,
                until=parked.until,
                intent=intent,
            )
        )

        def decide(snaps: list[Snapshot]) -> tuple[bool, list[Write]]:
            held = _intent(snaps[0]) if snaps[0].exists else None
            if held is None or held.state is not IntentState.IN_FLIGHT or held.owner != owner:
                return False, []
            waiting = replace(held, state=IntentState.PARKED, owner="", lease_until=EPOCH)
            return True, [Write(ref, to_native(waiting)), Write(entry, data)]

        return await self.transact([ref], decide)

    async def parked_on(
        self, chat_id: str, message_id: int, user_id: str | None = None
    ) -> list[Intent]:
        """Return the intents parked awaiting a message (one user's, or everyone's), by bound."""
        query = (
            self.db.collection("parked")
            .where(filter=FieldFilter("chat_id", "==", chat_id))
            .where(filter=FieldFilter("awaiting", "==", message_id))
        )
        if user_id is not None:
            query = query.where(filter=FieldFilter("user_id", "==", user_id))
        entries = [_parked(s) for s in await self.every(query, "parked")]
        return [e.intent for e in sorted(entries, key=lambda e: (e.until, e.intent_id))]

    async def due_parked(self, now: datetime, limit: int) -> list[Intent]:
        """Return parked intents whose bound is at or before `now`, earliest first."""
        if limit < 1:
            return []
        query = (
            self.db.collection("parked")
            .where(filter=FieldFilter("until", "<=", to_native(now)))
            .order_by("until")
            .limit(limit)
        )
        return [_parked(s).intent for s in await self.first(query, "parked")]

    async def expired_claims(self, now: datetime, limit: int) -> list[Intent]:
        """Return intents in flight whose lease ended at or before `now`."""
        if limit < 1:
            return []
        query = EXPIRED_CLAIMS.build(
            self.db.collection("intents"), IntentState.IN_FLIGHT.value, _ON_TOPIC
        )
        query = query.where(filter=FieldFilter("lease_until", "<=", to_native(now)))
        return [_intent(s).intent for s in await self.first(query.limit(limit), "intents")]

    async def claim_states(self, intent_ids: Sequence[str]) -> dict[str, ClaimState]:
        """Return the stored claim state of those intents that have one."""
        refs = [self.doc("intents", intent_id) for intent_id in sorted(set(intent_ids))]
        found = [_intent(s) for s in await self.get_many(refs, "intents") if s.exists]
        return {held.intent_id: _STATES[held.state] for held in found}


# The kinds the sweep re-publishes: every one but management (it never travels the topic).
_ON_TOPIC = tuple(kind.value for kind in IntentKind if kind is not IntentKind.MANAGE)


def _rerun(attempt: int) -> ClaimState:
    return ClaimState.NEW if attempt == 1 else ClaimState.RETRY


def _expiry(now: datetime) -> datetime:
    return now + INTENT_RETENTION


def _aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("naive datetime: times must be timezone-aware")


def _intent(snap: Snapshot) -> IntentDoc:
    return record_of(IntentDoc, snap.to_dict(), snap.reference.path)


def _parked(snap: Snapshot) -> ParkedDoc:
    return record_of(ParkedDoc, snap.to_dict(), snap.reference.path)
