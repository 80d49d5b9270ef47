"""A user's broker account: connecting, pausing, the circuit breaker."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from signal_copier.core import codec
from signal_copier.core.errors import (
    CredentialsMissing,
    InvalidInput,
    QuotaExceeded,
    Rejected,
    StoreUnavailable,
)
from signal_copier.core.market import Credentials
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.quotas import channel_limit
from signal_copier.core.reasons import Reason
from signal_copier.core.records import Plan, Subscription, UserRecord
from signal_copier.core.settings import validate_overrides, validate_settings
from signal_copier.services.deps import Deps, credentials_name

BREAKER = Reason.BROKER_BREAKER


class AccountTaken(Rejected):
    """Another user already connected this broker account."""

    reason = Reason.ACCOUNT_TAKEN


async def connect_account(deps: Deps, user_id: str) -> BrokerAccount:
    """Decrypt a user's broker credentials and connect; CredentialsMissing if there are none."""
    raw = await deps.vault.get(credentials_name(user_id))
    if raw is None:
        raise CredentialsMissing("connect a broker account first")
    try:
        credentials = codec.from_dict(Credentials, json.loads(raw))
    except (ValueError, InvalidInput) as e:
        raise CredentialsMissing("stored broker credentials are unreadable; connect again") from e
    deps.instruments.bind(user_id, credentials.account_id)
    return await deps.broker.connect(user_id, credentials)


async def save_credentials(deps: Deps, user_id: str, credentials: Credentials) -> None:
    """Encrypt and store a user's broker credentials; the account becomes theirs alone.

    The user's connections the broker cached for other credentials are closed (the old
    account, or the old token of the same account); the vault forgets the old plaintext.

    AccountTaken if another user connected that account (two users on one account would close
    each other's trades and receive each other's broker events).
    """
    if not await deps.store.claim_account(credentials.account_id, user_id):
        raise AccountTaken("this trading account is connected to another user")
    previous = await stored_credentials(deps, user_id)
    await deps.vault.put(credentials_name(user_id), json.dumps(codec.to_dict(credentials)).encode())
    deps.instruments.forget(user_id)
    if previous is not None and previous.account_id != credentials.account_id:
        await deps.store.release_account(previous.account_id, user_id)
    await deps.broker.disconnect(user_id, keep=credentials)


async def remove_credentials(deps: Deps, user_id: str, known_account: str = "") -> str:
    """Delete the user's broker credentials, close their connections, give the account back.

    `known_account` is the account the caller knows of (the dashboard's profile): it is given
    back too, so a repeat after a crash finishes the job once the vault holds nothing. Return
    the account given back ('' if none). Positions and orders on the account are not touched.
    """
    stored = await stored_credentials(deps, user_id)
    await deps.vault.delete(credentials_name(user_id))  # the vault forgets its plaintext too
    deps.instruments.forget(user_id)
    await deps.broker.disconnect(user_id)
    account = stored.account_id if stored is not None else known_account
    for owned in sorted({account, known_account} - {""}):
        await deps.store.release_account(owned, user_id)  # only the owner's claim goes
    return account


async def stored_credentials(deps: Deps, user_id: str) -> Credentials | None:
    """Return the user's stored broker credentials, or None if there are none or unreadable."""
    try:
        raw = await deps.vault.get(credentials_name(user_id))
        return None if raw is None else codec.from_dict(Credentials, json.loads(raw))
    except (CredentialsMissing, InvalidInput, ValueError):
        return None  # unreadable old credentials: nothing to give back


async def pause(deps: Deps, user_id: str, reason: Reason, until: datetime | None) -> None:
    """Pause a user's copying with a visible reason (until a time, or until resumed).

    A pause that lasts until the user resumes (the kill switch) is never replaced by one that
    ends by itself (the daily loss limit's, which would lift the kill switch at midnight).
    """

    def paused(user: UserRecord) -> UserRecord:
        if user.paused_reason and user.paused_until is None and until is not None:
            return user
        return replace(user, paused_reason=reason, paused_until=until)

    await deps.store.update_user(user_id, paused)


async def note_broker_failure(deps: Deps, user_id: str, now: datetime) -> None:
    """Count a broker failure; after `breaker_threshold` in a row, pause for the cool-down."""

    def failed(user: UserRecord) -> UserRecord:
        user = replace(user, broker_failures=user.broker_failures + 1)
        if user.broker_failures >= deps.breaker_threshold and not user.paused_reason:
            user = replace(user, paused_reason=BREAKER, paused_until=now + deps.breaker_cooldown)
        return user

    await deps.store.update_user(user_id, failed)


async def note_broker_success(deps: Deps, user: UserRecord) -> None:
    """Reset the breaker after a broker call went through (only the breaker's own fields)."""
    if not user.broker_failures and user.paused_reason != BREAKER:
        return  # the common case: nothing to write

    def recovered(current: UserRecord) -> UserRecord:
        if current.paused_reason == BREAKER:
            current = replace(current, paused_reason=Reason.NONE, paused_until=None)
        return replace(current, broker_failures=0)

    await deps.store.update_user(user.user_id, recovered)


def next_midnight(now: datetime) -> datetime:
    """Return the next UTC midnight (when daily limits reset)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return day + timedelta(days=1)


async def register_user(
    deps: Deps, user_id: str, plan: Plan, settings: dict[str, Any]
) -> UserRecord:
    """Create or update a user with validated default settings (InvalidSettings names the field)."""
    checked = validate_settings(settings).model_dump(mode="json", exclude_defaults=True)
    user = UserRecord(user_id=user_id, plan=plan, settings=checked)
    if await deps.store.create_user(user):
        return user
    # Change only these fields: whatever else was written meanwhile (breaker, pause) stays.
    changed = await deps.store.update_user(
        user_id, lambda current: replace(current, plan=plan, settings=checked)
    )
    if changed is None:
        raise StoreUnavailable(f"user {user_id!r} vanished while being registered; try again")
    return changed


async def follow_channel(
    deps: Deps,
    user_id: str,
    chat_id: str,
    overrides: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> Subscription:
    """Follow a chat with optional overrides; QuotaExceeded past the plan's channel limit.

    `now` is when following begins (a follow-up never waits for the user's share of an older
    signal); None treats the user as following since ever.
    """
    user = await deps.store.get_user(user_id)
    if user is None:
        raise InvalidInput(f"user {user_id!r} does not exist")
    limit = channel_limit(user.plan)
    subscription = Subscription(
        user_id=user_id, chat_id=chat_id, overrides=validate_overrides(overrides or {}), since=now
    )
    if not await deps.store.add_subscription(subscription, limit):
        raise QuotaExceeded(f"the {user.plan} plan follows at most {limit} channels")
    return subscription
