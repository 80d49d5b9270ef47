"""What an opening checks before the broker: the user, the age and fate of the signal, reposts."""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import guards
from signal_copier.core.guards import Skip
from signal_copier.core.model import Intent, Signal
from signal_copier.core.precedence import ended_by_edit
from signal_copier.core.quotas import trade_limit
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.services import messages, repeats, targets
from signal_copier.services.deps import Deps
from signal_copier.services.once import deadline
from signal_copier.services.targets import Wait


async def posted_before(
    deps: Deps, intent: Intent, signal: Signal, now: datetime, *, limited: bool
) -> Wait | Skip | None:
    """Return a Wait or a Skip for what was posted before this signal, or None."""
    # What was posted before this signal first: the post it repeats (one call is traded once)
    # and, where the plan's trades or the open-trade slots are limited, every message before it.
    repeat = await repeats.repeat_of(deps, intent, signal, now)
    if isinstance(repeat, Wait):
        return repeat
    if repeat is not None:
        return Skip(reason=Reason.SIGNAL_REPEATED, detail=repeat)
    if limited and now < deadline(intent, deps):
        # A plan's last trades and the open-trade slots go to the signals posted first, whatever
        # order they arrive in (an earlier one in flight may still take, or give back, a slot):
        # wait until the messages before this one are done for this user.
        blocked = await targets.settle_before(deps, intent, intent.message_id, final=False)
        if isinstance(blocked, Wait):
            return blocked
    return None


def arrived(intent: Intent) -> datetime:
    """Return when an opening's signal came to be, for the kill switch.

    A fix or an added signal arrives as an edit, but the signal is as old as its post (unless
    it was born at the edit): a kill switch pressed after the post keeps it closed.
    """
    return min(intent.message_date, intent.received)


async def taken_back(deps: Deps, intent: Intent) -> Skip | None:
    """Return a Skip when the channel deleted or ended the signal before it was placed."""
    # The channel deleted its post, or edited it into a cancel or a close, before anything was
    # placed: it never opens. Legs an earlier attempt placed stay: the deletion's (or the
    # edit's) own intent waits for this one, and takes them back.
    latest = await deps.store.latest_message(intent.chat_id, intent.message_id)
    if latest is None:
        return None
    if latest.deleted:
        return Skip(reason=Reason.SIGNAL_DELETED, detail=messages.DELETED_BEFORE_PLACED)
    if ended_by_edit(latest, intent.version):
        detail = "the channel edited this signal into a cancel or a close before it was placed"
        return Skip(reason=Reason.SIGNAL_CLOSED, detail=detail)
    return None


def limited(user: UserRecord, settings: TradeSettings) -> bool:
    """Return whether the user's trades or open-trade slots are limited."""
    return trade_limit(user.plan) is not None or settings.max_open_trades is not None


def pre_broker_guards(
    user: UserRecord,
    signal: Signal,
    settings: TradeSettings,
    intent: Intent,
    now: datetime,
    *,
    adopting: bool,
    deps: Deps,
) -> Skip | None:
    """Return why an opening must not send anything now (user, kill switch, age, the signal)."""
    # Every attempt re-checks the user (Stop, kill switch, breaker) and the signal's age: a late
    # retry must never send what a fresh signal would not. Adopting legs already placed allows
    # the retry grace on top of the max age, and skips the signal checks that passed before.
    max_age = settings.max_signal_age_s
    if adopting:
        max_age += int(deps.timing.retry_grace.total_seconds())
    return (
        guards.check_killed(user.killed_at, arrived(intent))
        or guards.check_user(user.active, user.paused_reason, user.paused_until, now)
        or guards.check_age(intent.message_date, now, max_age)
        or (None if adopting else guards.check_signal(signal, settings, now))
    )
