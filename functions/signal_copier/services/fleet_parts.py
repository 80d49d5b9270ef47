"""What a listener is made of (settings, parts, the host of its sessions), and a revoked link."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from signal_copier.core.errors import CopierError, InvalidSettings
from signal_copier.core.fleet import LinkState, Notice, NoticeKind, SessionHealth
from signal_copier.core.leases import LeaseTiming
from signal_copier.core.ports import FleetStore, Queue, TelegramSessions, Vault
from signal_copier.services.fleet_publish import Publisher

log = logging.getLogger(__name__)
BROKEN_WRITE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetSettings:
    """Listener tuning (ARCHITECTURE.md timing table; every value a setting)."""

    timing: LeaseTiming = field(default_factory=LeaseTiming)
    shards: int = 1024
    capacity: int = 1000  # sessions per listener
    per_scan: int = 250  # sessions taken per scan at most (spreads load, staggers connects)
    flush_every: timedelta = timedelta(seconds=2)  # batched watermark writes
    roster_every: timedelta = timedelta(seconds=60)  # re-read who is linked and what they follow
    watchdog_every: timedelta = timedelta(seconds=1)  # self-fencing checks
    ping_every: timedelta = timedelta(seconds=10)  # below timing.server_disconnect
    edit_days: int = 7  # gap fill re-reads edits over this many days ...
    edit_messages: int = 500  # ... or this many messages per chat, whichever is smaller
    edit_margin: timedelta = timedelta(seconds=60)  # delivery delay and clock skew
    status_every: timedelta = timedelta(minutes=5)  # last_message_at is written this often
    backoff_min: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(seconds=300)
    drain_timeout: timedelta = timedelta(seconds=8)  # Cloud Run gives ~10 s after SIGTERM

    def __post_init__(self) -> None:
        if not timedelta(0) < self.ping_every < self.timing.server_disconnect:
            raise InvalidSettings(
                f"ping_every must be below {self.timing.server_disconnect} "
                "(fence_lead + takeover_margin), or healthy sessions get dropped"
            )
        if min(self.capacity, self.shards, self.per_scan) < 1:
            raise InvalidSettings("capacity, shards and per_scan must be at least 1")


@dataclass(frozen=True, slots=True, kw_only=True)
class FleetDeps:
    """What a listener uses: its store, the queue, the vault, Telegram, a clock."""

    store: FleetStore
    queue: Queue
    vault: Vault
    telegram: TelegramSessions
    clock: Callable[[], datetime]
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)


class SessionHost(Protocol):
    """The listener as a session sees it."""

    deps: FleetDeps
    settings: FleetSettings
    publisher: Publisher

    def may_run(self, shard: int) -> bool:
        """Return whether the shard's lease still allows its sessions to run."""
        ...

    def epoch(self, shard: int) -> int:
        """Return the shard's lease epoch."""
        ...


class Broken(StrEnum):
    """What marking a revoked session broken came to."""

    RECORDED = "recorded"
    UNLINKED = "unlinked"  # the user unlinked it meanwhile (its secret went first)
    NOT_WRITTEN = "not_written"  # still "linked": the next start sees the revocation again


async def mark_broken(
    deps: FleetDeps, user_id: str, error: CopierError, backoff: Callable[[int], timedelta]
) -> tuple[Broken, SessionHealth]:
    """Mark the session broken with a notice, retrying the write (never the session)."""
    now = deps.clock()
    notice = Notice(
        user_id=user_id, kind=NoticeKind.TELEGRAM_LINK_BROKEN, at=now, detail=str(error)
    )
    status = SessionHealth(
        connected=False, link=LinkState.BROKEN, last_error=type(error).__name__, updated=now
    )
    for attempt in range(1, BROKEN_WRITE_ATTEMPTS + 1):
        try:
            recorded = await deps.store.break_session(notice, status)
            break
        except CopierError as e:
            log.warning("marking %s broken failed (%s), attempt %d", user_id, e, attempt)
            await deps.sleep(backoff(attempt).total_seconds())
    else:
        log.error("session of %s is revoked but could not be marked broken", user_id)
        return Broken.NOT_WRITTEN, status
    if not recorded:
        log.info("session of %s was unlinked: stopped", user_id)
        return Broken.UNLINKED, status
    log.warning("session of %s is revoked (%s): marked broken", user_id, type(error).__name__)
    return Broken.RECORDED, status
