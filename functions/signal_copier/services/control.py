"""The user's controls: start, stop, the kill switch and resuming after a pause."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Change, ChangeKind
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.services import accounts
from signal_copier.services.deps import Deps

KILL_SWITCH = Reason.KILL_SWITCH


async def kill_switch(deps: Deps, user_id: str, now: datetime) -> list[Change]:
    """Pause copying, then close every position and cancel every order the copier opened.

    The user's own (manual) trades are left alone: only clientIds the copier issued are touched.
    Safe to press twice: what is already closed is simply not found again.
    """
    await _change(deps, user_id, lambda u: replace(u, paused_reason=KILL_SWITCH, paused_until=None))
    account = await accounts.connect_account(deps, user_id)
    changes: list[Change] = []
    for order in await account.orders():
        if ids.intent_client_of(order.client_id):
            await account.cancel_order(order.id)
            changes.append(Change(kind=ChangeKind.CANCEL, target=order.id))
    for position in await account.positions():
        if ids.intent_client_of(position.client_id):
            await account.close_position(position.id)
            changes.append(
                Change(kind=ChangeKind.CLOSE, target=position.id, volume=position.volume)
            )
    return changes


async def resume(deps: Deps, user_id: str) -> UserRecord:
    """Lift any pause (kill switch, loss limit, breaker) and reset the breaker count."""
    return await _change(
        deps,
        user_id,
        lambda u: replace(u, paused_reason=Reason.NONE, paused_until=None, broker_failures=0),
    )


async def set_active(deps: Deps, user_id: str, active: bool) -> UserRecord:
    """Start or stop copying for a user (open trades stay as they are)."""
    return await _change(deps, user_id, lambda u: replace(u, active=active))


async def _change(
    deps: Deps, user_id: str, change: Callable[[UserRecord], UserRecord]
) -> UserRecord:
    user = await deps.store.update_user(user_id, change)
    if user is None:
        raise InvalidInput(f"user {user_id!r} does not exist")
    return user
