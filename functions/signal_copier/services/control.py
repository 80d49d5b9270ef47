"""The user's controls: start, stop, the kill switch and resuming after a pause."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from signal_copier.core import ids
from signal_copier.core.errors import CopierError, InvalidInput, Retryable
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import Change, ChangeKind
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.records import UserRecord
from signal_copier.core.redact import describe_error
from signal_copier.services import accounts
from signal_copier.services.deps import Deps

log = logging.getLogger(__name__)
T = TypeVar("T")
KILL_SWITCH = Reason.KILL_SWITCH
NO_BROKER = Reason.BROKER_NOT_CONNECTED
RETRY_DELAYS_S = (0.5, 2.0)  # after the first pass: two more, for calls that timed out


@dataclass(frozen=True, slots=True, kw_only=True)
class StillOpen:
    """A copier position or order the kill switch could not close, and the last error."""

    kind: str  # "position" | "order"
    target: str  # its id
    symbol: str
    error: str  # redacted, one line


@dataclass(frozen=True, slots=True, kw_only=True)
class KillSwitchReport:
    """What the kill switch did, and what is still open (for the API and the CLI to show)."""

    paused: bool  # copying is paused (False: the store could not be written; press again)
    changes: tuple[Change, ...] = ()  # what was cancelled and closed
    still_open: tuple[StillOpen, ...] = ()
    errors: tuple[str, ...] = ()  # problems that are not about one trade (no account, ...)

    @property
    def complete(self) -> bool:
        """Return whether copying is paused and nothing the copier opened is left open."""
        return self.paused and not self.still_open and not self.errors


async def kill_switch(
    deps: Deps,
    user_id: str,
    now: datetime,
    *,
    retry_delays: Sequence[float] = RETRY_DELAYS_S,
) -> KillSwitchReport:
    """Pause copying, then cancel every order and close every position the copier opened.

    The user's own (manual) trades are left alone: only clientIds the copier issued are touched.
    Nothing stops it early: every trade is tried, refusals are collected, calls that timed out
    are tried again (`retry_delays` apart), and the report says what is still open. Safe to press
    twice: what is already gone is simply not found again.
    """
    errors: list[str] = []
    paused = await _pause(deps, user_id, now, errors)
    try:
        account = await _retrying(lambda: accounts.connect_account(deps, user_id), retry_delays)
    except CopierError as e:
        return KillSwitchReport(paused=paused, errors=(*errors, describe_error(e)))
    # Its closes carry a tag of their own: a follow-up's retry never takes them for its own.
    sweep = _Sweep(account, retry_delays, ids.kill_switch_tag(user_id, now))
    try:
        await sweep.run()
        for delay in retry_delays:
            if not sweep.retryable:
                break
            await asyncio.sleep(delay)
            await sweep.run()
        await sweep.confirm()
    except CopierError as e:
        errors.append(f"could not list the account's trades: {describe_error(e)}")
    return KillSwitchReport(
        paused=paused,
        changes=tuple(sweep.changes),
        still_open=tuple(sweep.still_open.values()),
        errors=tuple(errors),
    )


async def resume(deps: Deps, user_id: str) -> UserRecord:
    """Lift any pause (kill switch, loss limit, breaker) and reset the breaker count."""
    return await _change(
        deps,
        user_id,
        lambda u: replace(u, paused_reason=Reason.NONE, paused_until=None, broker_failures=0),
    )


async def pause_until_connected(deps: Deps, user_id: str) -> UserRecord | None:
    """Pause copying until a broker account is connected again (a kill switch's pause stays).

    None if the user does not exist (then nothing copies for them anyway).
    """

    def paused(user: UserRecord) -> UserRecord:
        if user.paused_reason and user.paused_until is None:
            return user  # the kill switch (or this pause already): only Resume lifts it
        return replace(user, paused_reason=NO_BROKER, paused_until=None)

    return await deps.store.update_user(user_id, paused)


async def lift_broker_pause(deps: Deps, user_id: str) -> None:
    """Lift the pause a removed broker account caused (any other pause stays)."""

    def lifted(user: UserRecord) -> UserRecord:
        if user.paused_reason != NO_BROKER:
            return user
        return replace(user, paused_reason=Reason.NONE, paused_until=None)

    await deps.store.update_user(user_id, lifted)


async def set_active(deps: Deps, user_id: str, active: bool) -> UserRecord:
    """Start or stop copying for a user (open trades stay as they are)."""
    return await _change(deps, user_id, lambda u: replace(u, active=active))


class _Sweep:
    """One account's copier trades, closed over one or more passes."""

    def __init__(self, account: BrokerAccount, delays: Sequence[float], tag: str) -> None:
        self.account, self.delays, self.tag = account, delays, tag
        self.changes: list[Change] = []
        self.still_open: dict[str, StillOpen] = {}  # "<kind>:<id>" → why it is still open
        self.retryable = False  # some call timed out: another pass may close it

    async def run(self) -> None:
        """Try every copier order, then every copier position, collecting what fails."""
        self.still_open, self.retryable = {}, False
        for order in await self._orders():  # first, so none fills into a new position later
            await self._try(order, self.account.cancel_order, order.id)
        # Listed only now: an order that filled before it could be cancelled is a position.
        for position in await self._positions():
            await self._try(position, self._close, position.id)

    async def _close(self, position_id: str) -> None:
        await self.account.close_position(position_id, client_id=self.tag)

    async def confirm(self) -> None:
        """Drop from `still_open` what the account no longer shows (a timeout that went through)."""
        if self.still_open:
            orders, positions = await self._listing()
            live = {f"order:{o.id}" for o in orders} | {f"position:{p.id}" for p in positions}
            self.still_open = {k: v for k, v in self.still_open.items() if k in live}

    async def _listing(self) -> tuple[list[PendingOrder], list[Position]]:
        return await self._orders(), await self._positions()

    async def _orders(self) -> list[PendingOrder]:
        orders = await _retrying(self.account.orders, self.delays)
        return [o for o in orders if ids.intent_client_of(o.client_id)]

    async def _positions(self) -> list[Position]:
        positions = await _retrying(self.account.positions, self.delays)
        return [p for p in positions if ids.intent_client_of(p.client_id)]

    async def _try(
        self, trade: Position | PendingOrder, action: Callable[[str], Awaitable[None]], target: str
    ) -> None:
        kind = "order" if isinstance(trade, PendingOrder) else "position"
        try:
            await action(target)
        except CopierError as e:
            if e.reason is Reason.NOT_FOUND:
                return  # gone meanwhile (an SL hit, a fill, the user): nothing left to do
            self.retryable |= isinstance(e, Retryable)
            self._failed(kind, trade, describe_error(e))
            return
        except Exception as e:  # the safety path: one bug must not spare the other trades
            log.exception("kill switch: %s %s", kind, target)
            self._failed(kind, trade, describe_error(e))
            return
        if isinstance(trade, PendingOrder):
            self.changes.append(Change(kind=ChangeKind.CANCEL, target=target))
        else:
            self.changes.append(Change(kind=ChangeKind.CLOSE, target=target, volume=trade.volume))

    def _failed(self, kind: str, trade: Position | PendingOrder, error: str) -> None:
        self.still_open[f"{kind}:{trade.id}"] = StillOpen(
            kind=kind, target=trade.id, symbol=trade.symbol, error=error
        )


async def _pause(deps: Deps, user_id: str, now: datetime, errors: list[str]) -> bool:
    def killed(user: UserRecord) -> UserRecord:
        return replace(user, paused_reason=KILL_SWITCH, paused_until=None, killed_at=now)

    try:
        await _change(deps, user_id, killed)
    except InvalidInput:
        raise  # no such user: nothing to close either
    except CopierError as e:
        errors.append(f"could not pause copying: {describe_error(e)}")
        return False
    return True


async def _retrying(call: Callable[[], Awaitable[T]], delays: Sequence[float]) -> T:
    for delay in delays:
        try:
            return await call()
        except Retryable:
            await asyncio.sleep(delay)
    return await call()


async def _change(
    deps: Deps, user_id: str, change: Callable[[UserRecord], UserRecord]
) -> UserRecord:
    user = await deps.store.update_user(user_id, change)
    if user is None:
        raise InvalidInput(f"user {user_id!r} does not exist")
    return user
