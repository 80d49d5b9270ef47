"""Ports: what services need from the outside world, shaped for SQLite and Firestore alike.

Every state change that must not happen twice is one atomic call (a SQLite transaction or a
Firestore transaction): remembering a message, claiming an intent, reserving quota.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from signal_copier.core.dashboard import (
    AuditEvent,
    BotStatus,
    Caller,
    ChatInfo,
    LogEntry,
    LoginStep,
    Profile,
)
from signal_copier.core.fleet import Lease, Notice, SessionHealth, SessionLink, Watermark
from signal_copier.core.leases import LeaseTiming
from signal_copier.core.market import (
    AccountInfo,
    Credentials,
    Deal,
    PendingOrder,
    Position,
    Quote,
    SymbolSpec,
)
from signal_copier.core.model import Fill, Intent, OrderRequest, RawMessage
from signal_copier.core.records import (
    Claim,
    ClaimState,
    MessageRecord,
    ParkedIntent,
    Remembered,
    Subscription,
    TradeRecord,
    Usage,
    UserRecord,
)

MessageBuilder = Callable[[tuple[MessageRecord, ...]], MessageRecord | None]


class Store(Protocol):
    """Durable state. Every method that must not happen twice, or must not interleave with
    another writer, is one transaction (SQLite BEGIN IMMEDIATE, a Firestore transaction whose
    body is re-run on contention and raises StoreUnavailable when it gives up).
    """

    # Message versions: one atomic step per (chat, message) reads the history and records.

    async def remember_message(
        self, chat_id: str, message_id: int, version: int, build: MessageBuilder
    ) -> Remembered:
        """Atomically read a message's stored versions and store what `build` returns.

        `build(history)` is pure (it may run more than once) and gets every stored version of
        the message, by version, including one with this version's key if it is stored. It
        returns the record to write (insert, or replace the one with its key), or None to write
        nothing.
        """
        ...

    async def mark_fanned_out(self, key: str, intents: int) -> None:
        """Note that a message version's intents were all published (a redelivery won't redo it)."""
        ...

    async def message(self, key: str) -> MessageRecord | None:
        """Return one stored message version by key."""
        ...

    async def latest_message(
        self, chat_id: str, message_id: int, before: int | None = None
    ) -> MessageRecord | None:
        """Return the highest stored version of a message, or the highest below `before`."""
        ...

    async def waiting_messages(self, due: datetime, limit: int) -> list[MessageRecord]:
        """Return versions waiting for their original whose `wait_until` is at or before `due`."""
        ...

    async def messages_up_to(self, chat_id: str, last: int, limit: int) -> list[MessageRecord]:
        """Return stored versions of the chat's messages with ids up to `last`, at most `limit`.

        Newest message first, each message's versions highest first: one read for a walk back
        through a chat's recent messages (the last message returned may lack lower versions).
        """
        ...

    # Users, subscriptions and broker accounts.

    async def get_user(self, user_id: str) -> UserRecord | None:
        """Return a user, or None."""
        ...

    async def put_user(self, user: UserRecord) -> None:
        """Create or replace a user."""
        ...

    async def create_user(self, user: UserRecord) -> bool:
        """Atomically create a user; False (and nothing written) if the user exists."""
        ...

    async def update_user(
        self, user_id: str, change: Callable[[UserRecord], UserRecord]
    ) -> UserRecord | None:
        """Atomically read a user, apply `change`, write the result; None if no such user.

        Concurrent writers never undo each other (a Firestore transaction retries `change`).
        """
        ...

    async def subscribers(self, chat_id: str) -> list[Subscription]:
        """Return every user following a chat, by user id (paged by the adapter)."""
        ...

    def subscriber_pages(self, chat_id: str) -> AsyncIterator[list[Subscription]]:
        """Yield a chat's subscribers page by page, by user id (a fan-out of any size)."""
        ...

    async def subscriptions(self, user_id: str) -> list[Subscription]:
        """Return the chats a user follows, by chat id."""
        ...

    async def subscription(self, user_id: str, chat_id: str) -> Subscription | None:
        """Return one subscription, or None if the user does not follow the chat."""
        ...

    async def add_subscription(self, subscription: Subscription, limit: int | None) -> bool:
        """Atomically follow a chat (or replace its overrides, keeping `since`).

        False, and nothing written, when the user already follows `limit` other chats.
        """
        ...

    async def delete_subscription(self, user_id: str, chat_id: str) -> None:
        """Stop following a chat (no-op if not followed)."""
        ...

    async def add_holder(self, chat_id: str, user_id: str) -> None:
        """Note that a user holds trades a chat opened (its follow-ups reach them anyway)."""
        ...

    async def holders(self, chat_id: str) -> list[str]:
        """Return the users holding trades a chat opened, by user id."""
        ...

    async def remove_holder(self, chat_id: str, user_id: str) -> None:
        """Forget that a user holds trades a chat opened (none are left)."""
        ...

    async def claim_account(self, account_id: str, user_id: str) -> bool:
        """Atomically make a broker account the user's; False if another user holds it."""
        ...

    async def account_owner(self, account_id: str) -> str | None:
        """Return the user a broker account belongs to, or None."""
        ...

    async def release_account(self, account_id: str, user_id: str) -> None:
        """Give up a broker account (only its owner can)."""
        ...

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
        """Return intents claimed but unfinished whose lease ended at or before `now`."""
        ...

    async def claim_states(self, intent_ids: Sequence[str]) -> dict[str, ClaimState]:
        """Return the stored claim state of those intents that have one (DONE/PARKED/…).

        An intent in flight reads as BUSY whatever its lease; one never claimed is absent.
        """
        ...

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

    async def reserve_opening(
        self,
        user_id: str,
        intent_id: str,
        limit: int,
        live: Collection[str],
        now: datetime,
        hold: timedelta,
    ) -> bool:
        """Atomically take an open-trade slot: False if `live` ∪ held slots reach `limit`.

        `live` are the intent clientIds open on the account; a slot is held until now + hold
        (then the trade is live on the account, or was never placed). Idempotent per intent.
        """
        ...

    async def release_opening(self, user_id: str, intent_id: str) -> None:
        """Give back an intent's open-trade slot (nothing was placed)."""
        ...

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

    # Trade records.

    async def save_trade(self, record: TradeRecord) -> None:
        """Create or replace the record of one intent's outcome."""
        ...

    async def update_trade(
        self, user_id: str, intent_id: str, change: Callable[[TradeRecord], TradeRecord]
    ) -> TradeRecord | None:
        """Read, change and write one intent's record in one transaction; None if it has none."""
        ...

    async def trade(self, user_id: str, intent_id: str) -> TradeRecord | None:
        """Return one intent's record, or None."""
        ...

    async def trades(self, user_id: str, signal_ref: str | None = None) -> list[TradeRecord]:
        """Return a user's trade records, oldest first; only one signal's if `signal_ref`."""
        ...

    async def trades_by_client(self, user_id: str, client_ids: Sequence[str]) -> list[TradeRecord]:
        """Return the records of the intents with these broker clientIds, oldest first."""
        ...

    async def trades_due(self, now: datetime, limit: int) -> list[TradeRecord]:
        """Return records whose `due_at` is at or before `now`, earliest first (any user)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Publication:
    """One payload to publish, with string attributes (trace id, user, chat, epoch)."""

    payload: dict[str, Any]
    attributes: Mapping[str, str] = field(default_factory=dict)


class Queue(Protocol):
    """At-least-once delivery of JSON payloads to a topic's consumer, in no particular order.

    There are no ordering keys: consumers must be correct for any order and any number of
    deliveries (ARCHITECTURE.md, "Cloud delivery").
    """

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Send one payload; consumers must tolerate duplicates and any order."""
        ...

    async def publish_many(self, topic: str, batch: Sequence[Publication]) -> None:
        """Send many payloads (a fan-out); every one is sent, or the call raises."""
        ...


class Vault(Protocol):
    """Encrypted secrets at rest (broker tokens, Telegram sessions)."""

    async def put(self, name: str, secret: bytes) -> None:
        """Encrypt and store a secret."""
        ...

    async def get(self, name: str) -> bytes | None:
        """Return a decrypted secret, or None if there is none."""
        ...

    async def delete(self, name: str) -> None:
        """Remove a secret."""
        ...


class BrokerAccount(Protocol):
    """One connected trading account. Errors: BrokerRejected, BrokerUnavailable, UnknownSymbol."""

    async def account_info(self) -> AccountInfo:
        """Return balance, equity and currency."""
        ...

    async def symbols(self) -> list[str]:
        """Return the broker's symbol names."""
        ...

    async def symbol_spec(self, symbol: str) -> SymbolSpec:
        """Return a symbol's specification."""
        ...

    async def quote(self, symbol: str) -> Quote:
        """Return the current bid and ask."""
        ...

    async def place(self, order: OrderRequest) -> Fill:
        """Send one order; a market order fills at once, a pending one waits."""
        ...

    async def positions(self) -> list[Position]:
        """Return the open positions."""
        ...

    async def orders(self) -> list[PendingOrder]:
        """Return the pending orders."""
        ...

    async def history(self, since: datetime) -> list[Deal]:
        """Return deals since a time (to reconcile an order whose outcome is unknown)."""
        ...

    async def modify_position(
        self, position_id: str, *, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Set a position's SL and TP (None removes the level)."""
        ...

    async def close_position(
        self, position_id: str, volume: Decimal | None = None, *, client_id: str = ""
    ) -> None:
        """Close a position in full, or `volume` lots of it; `client_id` tags the closing deal."""
        ...

    async def modify_order(
        self, order_id: str, *, price: Decimal, sl: Decimal | None, tp: Decimal | None
    ) -> None:
        """Change a pending order's price, SL and TP."""
        ...

    async def cancel_order(self, order_id: str) -> None:
        """Cancel a pending order."""
        ...


class Broker(Protocol):
    """Connects users to their trading accounts.

    A connection belongs to one user: adapters that cache connections key them on the user,
    the account and the token, so one user's change never closes or reuses another's.
    """

    async def connect(self, user_id: str, credentials: Credentials) -> BrokerAccount:
        """Return the user's connected account (cached by the adapter)."""
        ...

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Close and forget the user's cached connections, except one made with `keep`.

        Called when the user's credentials changed (`keep` = the new ones) or were removed.
        """
        ...


class MessageSource(Protocol):
    """Telegram messages in the order they happened (live or replayed)."""

    def messages(self) -> AsyncIterator[RawMessage]:
        """Yield messages as they arrive."""
        ...


# ─── The dashboard's ports (issue 11): what the API needs beyond `Store` ────────────────────────
# Kept apart from the pipeline's ports above; the stores serve `WebStore` from their own modules
# (store/sqlite/web.py, store/firestore/web.py).


class WebStore(Protocol):
    """Audit, login state, rate limits, the signal log, chats and bot health, the profile.

    Account ownership (one broker account, one user) is the `Store`'s `claim_account`.
    """

    async def add_audit(self, event: AuditEvent) -> None:
        """Record an event in the server-only audit trail and in the user's activity."""
        ...

    async def activity(self, user_id: str, limit: int = 50) -> list[AuditEvent]:
        """Return the user's own activity, newest first."""
        ...

    async def put_nonce(self, nonce: str, data: dict[str, str], expires: datetime) -> None:
        """Store a one-time value (login nonce, PKCE verifier, login link) until `expires`."""
        ...

    async def take_nonce(self, nonce: str, now: datetime) -> dict[str, str] | None:
        """Atomically consume a one-time value; None if unknown, used or expired."""
        ...

    async def use_once(self, key: str, now: datetime, expires: datetime) -> bool:
        """Atomically mark `key` used until `expires`; False if it already is (a replay)."""
        ...

    async def hit(self, key: str, now: datetime, window: timedelta) -> int:
        """Atomically count one hit on `key` in the current window; return the count so far."""
        ...

    async def signal_log(
        self, chat_id: str, before: int | None = None, limit: int = 50
    ) -> list[LogEntry]:
        """Return a chat's message versions, newest first (message ids below `before`)."""
        ...

    async def bot_status(self, user_id: str) -> BotStatus | None:
        """Return the health of the user's Telegram session, if a listener reported it."""
        ...

    async def user_chats(self, user_id: str) -> list[ChatInfo]:
        """Return the chats the user's Telegram session can read."""
        ...

    async def profile(self, user_id: str) -> Profile:
        """Return the user's dashboard profile (defaults when none is stored)."""
        ...

    async def put_profile(self, profile: Profile) -> None:
        """Create or replace the user's dashboard profile."""
        ...


class TelegramLogin(Protocol):
    """Link a user's Telegram account: phone → code → (2FA password) → linked.

    Each step returns the next one, or raises a `TelegramLoginRejected` subclass saying why
    (wrong or expired code, wrong password, flood wait with seconds, payment or login email
    required, no login in progress).
    """

    async def send_code(self, user_id: str, phone: str) -> LoginStep:
        """Ask Telegram to send a login code to the phone's Telegram app."""
        ...

    async def submit_code(self, user_id: str, code: str) -> LoginStep:
        """Submit the code; the next step is linked, or the 2FA password."""
        ...

    async def submit_password(self, user_id: str, password: str) -> LoginStep:
        """Submit the two-step verification password."""
        ...

    async def cancel(self, user_id: str) -> None:
        """Forget a pending login."""
        ...

    async def log_out(self, user_id: str, session: bytes) -> bool:
        """Log a stored session out at Telegram (its key stops working); False if not reached."""
        ...


class Auth(Protocol):
    """Verifies the dashboard's bearer tokens and mints sign-in tokens."""

    async def verify(self, token: str) -> Caller:
        """Return the caller a token proves; NotAuthenticated if it proves nothing."""
        ...

    async def mint(self, user_id: str, claims: Mapping[str, Any]) -> str:
        """Return a token the dashboard signs in with (a Firebase custom token in the cloud)."""
        ...


# --- The listener fleet (issue 10): leases, sessions, Telegram login, scaling -------------------
# Kept apart from the pipeline's ports above: the fleet's store methods are their own Protocol,
# served by the same adapters (store/sqlite/fleet.py, store/firestore/fleet.py).


class FleetStore(Protocol):
    """What the listener fleet persists. Lease calls are atomic (one transaction each).

    A session's record (`link_session`) is what lets a listener write for it: once the user
    unlinked it (`unlink_session`), a listener still stopping it writes nothing back.
    """

    async def shards(self, expiring_before: datetime) -> list[Lease]:
        """Return the shards with sessions whose lease ends before the given time, or is free.

        Healthy owners keep their leases ~40 s ahead, so a scan reads only shards that are
        takeable or about to be (cheap on Firestore, where every document read is billed).
        """
        ...

    async def acquire(
        self, shard: int, owner: str, now: datetime, timing: LeaseTiming
    ) -> Lease | None:
        """Atomically take a free, released or expired shard (epoch + 1); None if held."""
        ...

    async def renew(
        self, held: Mapping[int, int], owner: str, now: datetime, timing: LeaseTiming
    ) -> dict[int, Lease]:
        """Atomically extend the leases `owner` still holds (shard → epoch); return those."""
        ...

    async def release(self, held: Mapping[int, int], owner: str, now: datetime) -> None:
        """Hand leases back at once (their sessions are already stopped)."""
        ...

    async def sessions(self, shards: Sequence[int]) -> list[SessionLink]:
        """Return the linked sessions of these shards with the chats each user follows."""
        ...

    async def session_count(self) -> int:
        """Return how many linked (not broken) sessions the fleet must run."""
        ...

    async def link_session(self, link: SessionLink) -> None:
        """Record a freshly linked session (the secret itself is in the vault)."""
        ...

    async def break_session(self, notice: Notice, health: SessionHealth) -> bool:
        """Mark a session broken (never retried), set the bot status and tell the user.

        False, and nothing written, if the session is not recorded (the user unlinked it).
        """
        ...

    async def unlink_session(self, user_id: str) -> None:
        """Atomically forget a session the user unlinked: its record (uncounted from its
        shard), the chats it could read, its watermarks and its bot status (no-op if none).

        The listener running it stops it at its next roster read (`sessions` omits it).
        """
        ...

    async def watermarks(self, user_id: str) -> dict[str, Watermark]:
        """Return a session's watermarks by chat."""
        ...

    async def save_watermarks(self, marks: Sequence[Watermark]) -> None:
        """Write many watermarks in one batch; a mark never moves back."""
        ...

    async def put_chats(self, user_id: str, chats: Sequence[ChatInfo]) -> None:
        """Replace the set of chats the session can read (writing only what changed).

        Nothing is written for a session that is not recorded (unlinked meanwhile).
        """
        ...

    async def session_health(self, user_id: str) -> SessionHealth | None:
        """Return the health the fleet last wrote for the user's bot, or None."""
        ...

    async def put_session_health(self, user_id: str, health: SessionHealth) -> None:
        """Write `users/{uid}/bot/status` (with the dashboard's fields); on change only.

        Nothing is written for a session that is not recorded (unlinked meanwhile).
        """
        ...

    async def drop_subscription(self, notice: Notice) -> None:
        """Atomically unfollow notice.chat_id (both index documents) and tell the user why."""
        ...

    async def notices(self, user_id: str) -> list[Notice]:
        """Return what the fleet told the user, oldest first."""
        ...


MessageHandler = Callable[[RawMessage], Awaitable[None]]


class TelegramSession(Protocol):
    """One user's Telegram session (a Telethon client). Errors: the TelegramError family."""

    def on_message(self, handler: MessageHandler) -> None:
        """Call `handler` for every new message and every edit that changed the text."""
        ...

    async def connect(self) -> None:
        """Connect and check that the session is still authorised (SessionRevoked if not)."""
        ...

    async def dialogs(self) -> list[ChatInfo]:
        """Return every chat the session can read."""
        ...

    async def latest_id(self, chat_id: str) -> int:
        """Return the id of the newest message in a chat (0 if it has none)."""
        ...

    def messages_after(self, chat_id: str, min_id: int) -> AsyncIterator[RawMessage]:
        """Yield the chat's messages newer than `min_id`, oldest first."""
        ...

    async def recent(self, chat_id: str, *, limit: int, since: datetime) -> list[RawMessage]:
        """Return up to `limit` newest messages posted since `since`, newest first."""
        ...

    async def keepalive(self, disconnect_after: int) -> None:
        """Send a ping (without awaiting the answer) asking Telegram to drop the connection if
        no further ping arrives within `disconnect_after` seconds."""
        ...

    async def run_until_disconnected(self) -> None:
        """Wait until the connection ends; raise what ended it (SessionRevoked, ...)."""
        ...

    async def disconnect(self) -> None:
        """Close the connection (idempotent)."""
        ...


class TelegramSessions(Protocol):
    """Builds session clients from the secret the vault keeps."""

    def open(self, user_id: str, secret: bytes) -> TelegramSession:
        """Return an unconnected client for a stored session."""
        ...


class FleetScaler(Protocol):
    """Sets how many listeners run (the Cloud Run worker pool's instance count)."""

    async def instances(self) -> int:
        """Return the current instance count."""
        ...

    async def set_instances(self, count: int) -> None:
        """Set the instance count."""
        ...
