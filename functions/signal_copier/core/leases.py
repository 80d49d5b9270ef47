"""Shard leases: which listener runs which Telegram sessions, decided without I/O or a clock.

A session used from two places at once is killed by Telegram (AuthKeyDuplicatedError), and
Telegram accepts no fencing token, so exclusivity comes from timing (ARCHITECTURE.md, timing
table): an owner renews every 20 s for 60 s ahead and stops its sessions `fence_lead` before
an unrenewed lease ends; a new owner starts no earlier than `takeover_margin` after it ended.
Between the old owner's last possible session and the new owner's first there are therefore
fence_lead + takeover_margin (20 s) of slack for clock skew and slow disconnects.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from signal_copier.core.errors import InvalidSettings
from signal_copier.core.fleet import Lease


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseTiming:
    """The listener lease row of the timing table (every value a setting)."""

    ttl: timedelta = timedelta(seconds=60)
    renew_every: timedelta = timedelta(seconds=20)
    takeover_margin: timedelta = timedelta(seconds=10)
    scan_every: timedelta = timedelta(seconds=5)
    fence_lead: timedelta = timedelta(seconds=10)  # sessions stop this long before expiry

    def __post_init__(self) -> None:
        zero = timedelta(0)
        if min(self.renew_every, self.takeover_margin, self.scan_every, self.fence_lead) <= zero:
            raise InvalidSettings("lease timing: every interval must be positive")
        # At least two renewal attempts must fit before the owner has to stop its sessions.
        if 2 * self.renew_every > self.ttl - self.fence_lead:
            raise InvalidSettings(
                "lease timing: ttl - fence_lead must leave room for two renewals "
                f"(ttl={self.ttl}, renew_every={self.renew_every}, fence_lead={self.fence_lead})"
            )

    @property
    def server_disconnect(self) -> timedelta:
        """Return the delay after which Telegram must drop a session whose pings stopped.

        Sessions ask Telegram for this (MTProto ping_delay_disconnect): a frozen process's
        connections then close before a new owner may connect, even though it cannot fence.
        """
        return self.fence_lead + self.takeover_margin

    @property
    def worst_takeover(self) -> timedelta:
        """Return the longest a crashed owner's shard can wait for a new owner."""
        return self.ttl + self.takeover_margin + self.scan_every


def shard_of(user_id: str, shards: int) -> int:
    """Return the shard a user's session belongs to (stable across processes and versions)."""
    if shards < 1:
        raise InvalidSettings(f"shards must be at least 1, got {shards}")
    digest = hashlib.sha256(user_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") % shards


def takeover_at(lease: Lease, timing: LeaseTiming) -> datetime:
    """Return when another listener may take this shard.

    A released lease (owner "") was handed back after its sessions stopped: take it at once.
    """
    return lease.expires if not lease.owner else lease.expires + timing.takeover_margin


def can_acquire(lease: Lease | None, owner: str, now: datetime, timing: LeaseTiming) -> bool:
    """Return whether `owner` may take the shard now (a free, released or long-expired lease).

    An owner's own live lease is not re-acquired: renewing is a separate, epoch-checked step,
    and a restarted process comes back under a new owner id.
    """
    return lease is None or now >= takeover_at(lease, timing)


def acquired(
    lease: Lease | None, shard: int, owner: str, now: datetime, timing: LeaseTiming
) -> Lease:
    """Return the lease after `owner` takes the shard: the epoch grows with every new owner."""
    epoch = 1 if lease is None else lease.epoch + 1
    return Lease(shard=shard, owner=owner, epoch=epoch, expires=now + timing.ttl)


def still_held(lease: Lease | None, owner: str, epoch: int) -> bool:
    """Return whether a renewal by (owner, epoch) may extend this lease.

    Nobody else can have taken it while owner and epoch still match, expired or not.
    """
    return lease is not None and lease.owner == owner and lease.epoch == epoch


def fence_at(held_until: datetime, timing: LeaseTiming) -> datetime:
    """Return when an owner must have stopped a shard's sessions if no renewal succeeds."""
    return held_until - timing.fence_lead


def renew_due(renewed_at: datetime, now: datetime, timing: LeaseTiming) -> bool:
    """Return whether it is time to renew (the last successful renewal was renew_every ago)."""
    return now - renewed_at >= timing.renew_every


@dataclass(frozen=True, slots=True, kw_only=True)
class Capacity:
    """How many sessions a listener may run, and how many it runs now."""

    limit: int
    running: int

    @property
    def free(self) -> int:
        """Return the sessions still allowed."""
        return max(self.limit - self.running, 0)


def choose_shards(
    shards: Iterable[Lease],
    *,
    owner: str,
    now: datetime,
    timing: LeaseTiming,
    capacity: Capacity,
    per_scan: int,
) -> list[int]:
    """Return the shards to try to take now, in order, so that their sessions fit.

    Shards without sessions are never taken. At most `per_scan` sessions are taken per scan,
    so a fleet starting at once spreads its sessions instead of the first scanner taking all
    (and Telegram sees connects staggered). Each listener walks the shards in its own
    pseudo-random order, so listeners scanning at once rarely contend for the same shard.
    A shard holding more than `per_scan` sessions goes first and alone, to a listener with the
    capacity for it or to one running nothing (even past its capacity): skipped, it would
    never be taken and its users' sessions would never run.
    """
    room = min(capacity.free, per_scan)
    alone = capacity.free if capacity.running else math.inf
    chosen: list[int] = []
    order = sorted(shards, key=lambda s: (s.sessions <= per_scan, _preference(owner, s.shard)))
    for lease in order:
        if lease.sessions <= 0 or lease.owner == owner:
            continue
        fits = lease.sessions <= room or (not chosen and lease.sessions <= alone)
        if fits and can_acquire(lease, owner, now, timing):
            chosen.append(lease.shard)
            room -= lease.sessions
    return chosen


def next_takeover(
    shards: Iterable[Lease], owner: str, now: datetime, timing: LeaseTiming
) -> datetime | None:
    """Return the earliest future moment another owner's shard becomes takeable, if any.

    A listener wakes then as well as every scan_every, so a crashed owner's shards are taken
    as soon as the rules allow rather than up to one scan interval later.
    """
    times = [
        takeover_at(lease, timing)
        for lease in shards
        if lease.owner != owner and lease.sessions > 0
    ]
    future = [t for t in times if t > now]
    return min(future) if future else None


def _preference(owner: str, shard: int) -> bytes:
    return hashlib.sha256(f"{owner}|{shard}".encode()).digest()[:8]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScalePolicy:
    """How many listeners the fleet's sessions need (capacity per listener with headroom)."""

    capacity: int = 1000  # sessions per listener
    headroom: float = 0.25  # spare capacity for takeovers when a listener dies
    minimum: int = 1
    maximum: int = 1000

    def __post_init__(self) -> None:
        if self.capacity < 1 or self.headroom < 0 or not 0 <= self.minimum <= self.maximum:
            raise InvalidSettings(
                "scale policy: capacity >= 1, headroom >= 0 and 0 <= minimum <= maximum"
            )


def listeners_needed(sessions: int, policy: ScalePolicy) -> int:
    """Return the listener count for `sessions` linked sessions, within the policy's bounds."""
    wanted = math.ceil(max(sessions, 0) * (1 + policy.headroom) / policy.capacity)
    return min(max(wanted, policy.minimum), policy.maximum)


def scale_decision(current: int, sessions: int, policy: ScalePolicy) -> int | None:
    """Return the instance count to set, or None to leave the fleet as it is.

    Growing happens at once. Shrinking waits until the smaller fleet would still have twice
    the headroom, so a session count hovering at a boundary does not flap the fleet (every
    shrink hands sessions over to other listeners).
    """
    needed = listeners_needed(sessions, policy)
    if needed > current:
        return needed
    roomy = ScalePolicy(
        capacity=policy.capacity,
        headroom=2 * policy.headroom,
        minimum=policy.minimum,
        maximum=policy.maximum,
    )
    shrunk = listeners_needed(sessions, roomy)
    return shrunk if shrunk < current else None
