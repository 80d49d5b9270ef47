"""The user's controls: start, stop, the kill switch and resuming after a pause."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import Change, ChangeKind
from signal_copier.core.records import UserRecord
from signal_copier.services import accounts
from signal_copier.services.deps import Deps

KILL_SWITCH = "kill_switch"


async def kill_switch(deps: Deps, user_id: str, now: datetime) -> list[Change]:
    """Pause copying, then close every position and cancel every order the copier opened.

    The user's own (manual) trades are left alone: only clientIds the copier issued are touched.
    Safe to press twice: what is already closed is simply not found again.
    """
    user = await _user(deps, user_id)
    await accounts.pause(deps, user, KILL_SWITCH, None)
    account = await accounts.connect_account(deps, user_id)
    changes: list[Change] = []
    for order in await account.orders():
        if order.client_id.startswith(ids.CLIENT_ID_PREFIX):
            await account.cancel_order(order.id)
            changes.append(Change(kind=ChangeKind.CANCEL, target=order.id))
    for position in await account.positions():
        if position.client_id.startswith(ids.CLIENT_ID_PREFIX):
            await account.close_position(position.id)
            changes.append(
                Change(kind=ChangeKind.CLOSE, target=position.id, volume=position.volume)
            )
    return changes


async def resume(deps: Deps, user_id: str) -> UserRecord:
    """Lift any pause (kill switch, loss limit, breaker) and reset the breaker count."""
    user = await _user(deps, user_id)
    resumed = replace(user, paused_reason="", paused_until=None, broker_failures=0)
    await deps.store.put_user(resumed)
    return resumed


async def set_active(deps: Deps, user_id: str, active: bool) -> UserRecord:
    """Start or stop copying for a user (open trades stay as they are)."""
    user = replace(await _user(deps, user_id), active=active)
    await deps.store.put_user(user)
    return user


async def _user(deps: Deps, user_id: str) -> UserRecord:
    user = await deps.store.get_user(user_id)
    if user is None:
        raise InvalidInput(f"user {user_id!r} does not exist")
    return user
