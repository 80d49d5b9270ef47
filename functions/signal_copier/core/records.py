"""What the store keeps: users, subscriptions, message and intent records, trades, usage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from signal_copier.core import ids
from signal_copier.core.model import Command, Intent, OrderRequest, Signal, TradeResult
from signal_copier.core.reasons import Reason


class Plan(StrEnum):
    FREE = "free"
    PREMIUM = "premium"


@dataclass(frozen=True, slots=True, kw_only=True)
class UserRecord:
    """A user: plan, whether copying runs, and validated default settings (as JSON)."""

    user_id: str
    plan: Plan = Plan.FREE
    active: bool = True  # the user pressed Start
    paused_reason: Reason = Reason.NONE  # set by the kill switch, daily loss limit or breaker
    paused_until: datetime | None = None  # breaker cool-down; None = until resumed
    settings: dict[str, Any] = field(default_factory=dict)
    broker_failures: int = 0  # consecutive broker failures (circuit breaker)
    # When the kill switch was last pressed: a signal that arrived before it never opens (or adds
    # a leg) afterwards, even once copying is resumed.
    killed_at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """A user follows a chat, with optional per-channel setting overrides (as JSON)."""

    user_id: str
    chat_id: str
    overrides: dict[str, Any] = field(default_factory=dict)
    # When following began: a follow-up never waits for the user's share of an older signal.
    since: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageRecord:
    """One message version as parsed (dedupe key and what it meant)."""

    key: str
    chat_id: str
    message_id: int
    version: int
    date: datetime
    kind: str  # open | modify | close | cancel | none | deleted
    signals: tuple[Signal, ...] = ()
    command: Command | None = None
    reason: str = ""
    explain: tuple[str, ...] = ()
    fanned_out: int = -1  # intents published; -1 until fan-out finished
    # Carried forward from earlier versions, so an edit is judged against the whole history:
    earlier_signals: tuple[Signal, ...] = ()  # the latest earlier version that was a signal
    earlier_command: bool = False  # some earlier version was already a command
    earlier_reentry: bool = (
        False  # some earlier version was a re-entry (its deletion takes it back)
    )
    earlier_commands: tuple[Command, ...] = ()  # those versions' commands, oldest first
    # Each signal's part: which signal of the message it is in every version (an edit may drop,
    # add or reorder them); () = 0, 1, 2… in order. `earlier_parts` are earlier_signals' parts.
    parts: tuple[int, ...] = ()
    earlier_parts: tuple[int, ...] = ()
    text: str = ""  # what the channel wrote (the signal log shows it beside what was read)
    chat_title: str = ""
    reply_to: int | None = None
    previous_id: int | None = None  # see RawMessage.previous_id
    received: datetime | None = None  # when the listener got it
    posted: datetime | None = None  # when the original message was posted (its Telegram date)
    superseded: bool = False  # a newer version was already stored: this one changes nothing
    first_seen: bool = True  # no earlier version was stored when this one was acted on
    # An edit seen before any earlier version waits (no fan-out) for the original until then.
    wait_until: datetime | None = None

    @property
    def deleted(self) -> bool:
        """Return whether this version is the message's deletion (its tombstone)."""
        return self.version == ids.DELETED_VERSION

    @property
    def signal(self) -> Signal | None:
        """Return the message's (first) opening signal, if any."""
        return self.signals[0] if self.signals else None

    @property
    def signal_parts(self) -> tuple[int, ...]:
        """Return the part of each of `signals`."""
        return self.parts or tuple(range(len(self.signals)))

    @property
    def earlier_signal_parts(self) -> tuple[int, ...]:
        """Return the part of each of `earlier_signals`."""
        return self.earlier_parts or tuple(range(len(self.earlier_signals)))


class ClaimState(StrEnum):
    NEW = "new"  # claimed by the caller, first attempt
    RETRY = "retry"  # claimed by the caller after an earlier attempt's lease expired: reconcile
    DONE = "done"  # already finished: do nothing
    BUSY = "busy"  # another worker holds a live lease
    PARKED = "parked"  # (stored state only) waiting for its target; the next claim is NEW


@dataclass(frozen=True, slots=True, kw_only=True)
class Claim:
    state: ClaimState
    attempt: int  # claims that ran the intent (busy claims and re-runs after parking not counted)


@dataclass(frozen=True, slots=True, kw_only=True)
class Remembered:
    """What remembering a message version found and did."""

    record: MessageRecord | None  # the stored version: new, or the one already there
    history: tuple[MessageRecord, ...]  # every version stored before this call, by version
    fresh: bool  # this call wrote `record`


@dataclass(frozen=True, slots=True, kw_only=True)
class ParkedIntent:
    """A follow-up or edit waiting until its target message's intents for its user are done."""

    intent: Intent
    awaiting: int  # message id, in the intent's chat, that it waits for
    until: datetime  # then it runs with what is known (a follow-up finds no position)


@dataclass(frozen=True, slots=True, kw_only=True)
class Resizing:
    """A pending leg an edit is cancelling to place again smaller, kept until that is over.

    Written before the cancel: a worker that dies between the cancel and the new order leaves
    it behind, and the signal's next edit attempt places `again` unless the leg is found.
    """

    account_id: str  # the broker account it is on: never placed again on another one
    order_id: str  # the order being cancelled
    again: OrderRequest  # what takes its place (volume 0: cancelled only)
    since: datetime  # the account's history is searched for the leg from then


@dataclass(frozen=True, slots=True, kw_only=True)
class TradeRecord:
    """One intent's outcome with what is needed to act on it later (follow-ups, events)."""

    intent: Intent
    result: TradeResult
    current: Signal | None = None  # the signal as last edited (None: as opened)
    broker_symbol: str = ""
    signal_ref: str = ""  # chat:message of the opening signal this trade belongs to
    recorded_at: datetime | None = None
    due_at: datetime | None = None  # when the sweep must look at it next (pending entry expiry)
    resizing: tuple[Resizing, ...] = ()  # an opening's legs being placed again (see Resizing)

    @property
    def signal(self) -> Signal | None:
        """Return the signal this trade now follows (edits included)."""
        return self.current or self.intent.signal


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """Trades used and missed in one quota period."""

    period: str
    used: int = 0
    missed: int = 0
