"""The Store's exactly-once machinery: intent claims and parking, quota and slots, watches."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from signal_copier.core.model import Intent
from signal_copier.core.records import (
    Claim,
    ClaimState,
    ParkedIntent,
    TradeRecord,
    Usage,
)


class ClaimStore(Protocol):
    """Claims that run each intent once, their attempts and leases, and parked intents."""

    # Intent claims: exactly-once execution, attempts, parking.

    async def claim(self, intent: Intent, owner: str, now: datetime, lease: timedelta) -> Claim:
        """Atomically claim an intent for `owner` until now + lease (see ClaimState).

        The intent is stored with its claim (the sweep re-publishes one whose lease expired).
        A parked claim is claimed as NEW without counting an attempt; a busy one changes nothing.
        """
        ...

    async def finish(
        self, intent_id: str, owner: str, now: datetime, record: TradeRecord | None = None
    ) -> bool:
        """Mark a claimed intent done and store its record in one transaction.

        Only while `owner` holds the claim (else nothing, and False); afterwards redeliveries
        are no-ops. Any parked entry of the intent is removed.
        """
        ...

    async def release_claim(self, intent_id: str, owner: str) -> None:
        """End a failed attempt's lease now, so a redelivery reconciles and retries at once."""
        ...

    async def holds_claim(self, intent_id: str, owner: str) -> bool:
        """Return whether `owner` still holds the intent's claim (checked before broker writes)."""
        ...

    async def park(self, parked: ParkedIntent, owner: str) -> bool:
        """Atomically park an intent `owner` holds: claim state parked, lease ended, entry kept.

        False (nothing written) if `owner` no longer holds the claim.
        """
        ...

    async def parked_on(
        self, chat_id: str, message_id: int, user_id: str | None = None
    ) -> list[Intent]:
        """Return the intents parked awaiting a message (one user's, or everyone's)."""
        ...

    async def due_parked(self, now: datetime, limit: int) -> list[Intent]:
        """Return parked intents whose bound is at or before `now`."""
        ...

    async def expired_claims(self, now: datetime, limit: int) -> list[Intent]:
        """Return intents claimed but unfinished whose lease ended at or before `now`.

        Management intents (IntentKind.MANAGE) are left out by the query itself: they never
        travel the intents topic (their broker event comes again, or is polled again), so the
        sweep would drop them, and `limit` must be filled with intents it can re-publish.
        """
        ...

    async def claim_states(self, intent_ids: Sequence[str]) -> dict[str, ClaimState]:
        """Return the stored claim state of those intents that have one (DONE/PARKED/…).

        An intent in flight reads as BUSY whatever its lease; one never claimed is absent.
        """
        ...


class LimitStore(Protocol):
    """Daily trade quotas, open-trade slots and netting symbols, taken or given back atomically."""

    # Quotas and open-trade slots.

    async def reserve_quota(
        self, user_id: str, period: str, intent_id: str, limit: int | None
    ) -> bool:
        """Atomically take one trade of the period for an intent (idempotent); False if full."""
        ...

    async def release_quota(self, user_id: str, period: str, intent_id: str) -> None:
        """Give back an intent's reservation (the trade did not happen)."""
        ...

    async def record_missed(self, user_id: str, period: str, intent_id: str) -> None:
        """Count an intent as missed for quota (idempotent)."""
        ...

    async def usage(self, user_id: str, period: str) -> Usage:
        """Return trades used and missed in a period."""
        ...

    async def opening_mark(self, user_id: str) -> int:
        """Return how many of the user's openings have settled so far (see `settle_opening`).

        Read before the account's positions and orders, and passed to `reserve_opening`.
        """
        ...

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
        """Atomically take an open-trade slot: False if `live` ∪ counted slots reach `limit`.

        `live` are the intent clientIds open on the account; a slot is held until now + hold
        (then the trade is live on the account, or was never placed). `seen` is the
        `opening_mark` read before `live` was: a slot settled at or before it is counted only
        through `live` (its trade, if still open, is in that read; a closed one frees the
        slot). Unsettled slots, and every slot when `seen` is None, count until they expire.
        Idempotent per intent.
        """
        ...

    async def settle_opening(self, user_id: str, intent_id: str) -> None:
        """Note that an opening's orders are on the account (the broker confirmed them).

        Its held slot and symbol settle at the next mark; nothing held, or settled already:
        nothing.
        """
        ...

    async def release_opening(self, user_id: str, intent_id: str) -> None:
        """Give back an intent's open-trade slot (nothing was placed)."""
        ...

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
        """Atomically hold a broker symbol of a netting account for an opening: False if taken.

        One opening at a time per (user, symbol): the user's one account books one position
        per symbol. Held until now + hold (then the position is on the account, or was never
        placed); the same intent takes its own hold back (and renews it). Idempotent per intent.
        `seen` is the `opening_mark` read before the account's positions and orders on the
        symbol were: another opening's hold settled at or before it no longer blocks (that read
        shows its position or order if it is still there).
        """
        ...

    async def release_symbol(self, user_id: str, intent_id: str) -> None:
        """Give back the symbol an intent holds (nothing was placed); none held: nothing."""
        ...


class WatchStore(Protocol):
    """Accounts whose broker events the sweep polls (they hold trades the copier manages)."""

    # Accounts whose broker events the sweep polls (they hold trades the copier manages).

    async def watch(self, user_id: str, since: datetime, now: datetime) -> None:
        """Poll a user's account for deals from `since` on (an earlier `since` is kept)."""
        ...

    async def watched(self, limit: int, after: str | None = None) -> list[tuple[str, datetime]]:
        """Return (user id, deals since) of watched accounts by user id, after `after`."""
        ...

    async def advance_watch(self, user_id: str, since: datetime) -> None:
        """Move a watched account's deal cursor forward to `since` (never back)."""
        ...

    async def unwatch(self, user_id: str, checked: datetime) -> bool:
        """Stop polling, unless `watch` was called at or after `checked` (a trade just opened)."""
        ...
