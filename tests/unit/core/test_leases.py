"""Lease decisions: who may take a shard when, which shards fit, how many listeners are needed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from signal_copier.core.errors import InvalidSettings
from signal_copier.core.fleet import Lease
from signal_copier.core.leases import (
    Capacity,
    LeaseTiming,
    ScalePolicy,
    can_acquire,
    choose_shards,
    fence_at,
    listeners_needed,
    next_takeover,
    scale_decision,
    shard_of,
)

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
TIMING = LeaseTiming()


def _lease(shard: int, owner: str = "a", expires: datetime = T0, sessions: int = 10) -> Lease:
    return Lease(shard=shard, owner=owner, epoch=1, expires=expires, sessions=sessions)


def test_the_timing_table_gives_a_worst_takeover_of_75_seconds() -> None:
    assert TIMING.worst_takeover == timedelta(seconds=75)
    assert TIMING.server_disconnect == timedelta(seconds=20)


def test_an_owner_stops_its_sessions_before_a_new_owner_may_start() -> None:
    until = T0 + TIMING.ttl
    assert fence_at(until, TIMING) < until < until + TIMING.takeover_margin
    assert not can_acquire(_lease(1, expires=until), "b", until + timedelta(seconds=9), TIMING)
    assert can_acquire(_lease(1, expires=until), "b", until + TIMING.takeover_margin, TIMING)


def test_a_released_lease_can_be_taken_at_once() -> None:
    assert can_acquire(_lease(1, owner="", expires=T0), "b", T0, TIMING)


def test_timing_that_leaves_no_room_for_two_renewals_is_refused() -> None:
    with pytest.raises(InvalidSettings, match="two renewals"):
        LeaseTiming(renew_every=timedelta(seconds=30))


def test_shards_are_stable_and_spread() -> None:
    shards = [shard_of(f"tg{n}", 64) for n in range(6400)]
    assert shard_of("tg123", 64) == shard_of("tg123", 64)
    assert min(shards.count(s) for s in range(64)) > 50


def test_only_takeable_shards_that_fit_the_capacity_are_chosen() -> None:
    shards = [
        _lease(1, owner="", sessions=400),
        _lease(2, owner="", sessions=400),
        _lease(3, owner="", sessions=400),
        _lease(4, owner="b", expires=T0 + timedelta(seconds=30)),  # held
        _lease(5, owner="", sessions=0),  # nothing to run
    ]
    chosen = choose_shards(
        shards,
        owner="me",
        now=T0,
        timing=TIMING,
        capacity=Capacity(limit=1000, running=100),
        per_scan=1000,
    )
    assert len(chosen) == 2 and set(chosen) <= {1, 2, 3}


def test_a_scan_takes_at_most_its_share_of_sessions() -> None:
    shards = [_lease(n, owner="", sessions=100) for n in range(10)]
    chosen = choose_shards(
        shards,
        owner="me",
        now=T0,
        timing=TIMING,
        capacity=Capacity(limit=1000, running=0),
        per_scan=250,
    )
    assert len(chosen) == 2


def test_a_listener_wakes_exactly_when_a_dead_owners_shard_becomes_takeable() -> None:
    shards = [_lease(1, owner="dead", expires=T0 + timedelta(seconds=3))]
    assert next_takeover(shards, "me", T0, TIMING) == T0 + timedelta(seconds=13)


@pytest.mark.parametrize(
    ("sessions", "needed"), [(0, 1), (800, 1), (801, 2), (10_000, 13), (10**9, 1000)]
)
def test_listeners_needed_follow_sessions_with_headroom(sessions: int, needed: int) -> None:
    assert listeners_needed(sessions, ScalePolicy(capacity=1000, headroom=0.25)) == needed


def test_scaling_grows_at_once_and_shrinks_only_with_room_to_spare() -> None:
    policy = ScalePolicy(capacity=1000, headroom=0.25)
    assert scale_decision(2, 2_300, policy) == 3
    assert scale_decision(3, 2_300, policy) is None
    assert scale_decision(3, 1_700, policy) is None  # 2 would do, but with 50 % headroom it's 3
    assert scale_decision(3, 1_300, policy) == 2


def test_a_shard_with_more_sessions_than_one_scan_takes_is_still_taken() -> None:
    # 300 users hashed into one shard: per_scan (250) only spreads a fleet's start, it must
    # not leave those users' sessions unrun for ever.
    shards = [_lease(7, owner="", sessions=300)]
    chosen = choose_shards(
        shards,
        owner="me",
        now=T0,
        timing=TIMING,
        capacity=Capacity(limit=1000, running=0),
        per_scan=250,
    )
    assert chosen == [7]


def test_a_shard_larger_than_a_listeners_capacity_is_taken_by_an_idle_listener() -> None:
    shards = [_lease(7, owner="", sessions=1200), _lease(8, owner="", sessions=5)]
    idle = Capacity(limit=1000, running=0)
    busy = Capacity(limit=1000, running=10)

    by_idle = choose_shards(shards, owner="me", now=T0, timing=TIMING, capacity=idle, per_scan=250)
    by_busy = choose_shards(shards, owner="me", now=T0, timing=TIMING, capacity=busy, per_scan=250)

    assert by_idle == [7]  # nobody else could ever run it: the one listener with room does
    assert by_busy == [8]  # a listener already running sessions stays within its capacity


def test_a_scan_takes_one_oversized_shard_before_small_ones_and_then_stops() -> None:
    shards = [_lease(n, owner="", sessions=10) for n in range(5)]
    shards.append(_lease(9, owner="", sessions=260))
    chosen = choose_shards(
        shards,
        owner="me",
        now=T0,
        timing=TIMING,
        capacity=Capacity(limit=1000, running=0),
        per_scan=250,
    )
    assert chosen == [9]
