"""One contract for the fleet's store: shard leases, watermarks, sessions linked and unlinked,
on SQLite and on Firestore.

The Firestore case runs on Google's emulator (the `firestore_emulator` fixture).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from signal_copier.core.dashboard import AuditAction, AuditEvent, ChatInfo
from signal_copier.core.errors import StoreUnavailable
from signal_copier.core.fleet import (
    LinkState,
    Notice,
    NoticeKind,
    SessionHealth,
    SessionLink,
    Watermark,
)
from signal_copier.core.leases import LeaseTiming
from signal_copier.core.ports import FleetStore
from signal_copier.core.records import Subscription
from signal_copier.store.sqlite import SqliteStore

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
TIMING = LeaseTiming()
S = timedelta(seconds=1)


@dataclass
class Backend:
    store: FleetStore
    raw: Any  # SqliteStore or firestore.AsyncClient

    async def follow(self, user: str, chat: str) -> None:
        if isinstance(self.raw, SqliteStore):
            await self.raw.add_subscription(Subscription(user_id=user, chat_id=chat), None)
        else:  # the pipeline's Firestore store writes both index documents
            from signal_copier.store.firestore import FirestoreStore

            pipeline = FirestoreStore(self.raw.project)
            await pipeline.add_subscription(Subscription(user_id=user, chat_id=chat), None)
            await pipeline.aclose()

    def web(self) -> Any:
        if isinstance(self.raw, SqliteStore):
            return self.raw
        from signal_copier.store.firestore.web import FirestoreWebStore

        return FirestoreWebStore(self.raw)

    async def follows(self, user: str, chat: str) -> bool:
        if isinstance(self.raw, SqliteStore):
            return chat in {s.chat_id for s in await self.raw.subscriptions(user)}
        channel = await self.raw.document("users", user, "channels", chat).get()
        subscriber = await self.raw.document("chats", chat, "subscribers", user).get()
        assert channel.exists == subscriber.exists, "the two index documents disagree"
        return bool(channel.exists)


@pytest.fixture(params=["sqlite", pytest.param("firestore", marks=pytest.mark.emulator)])
async def backend(request: pytest.FixtureRequest) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        store = SqliteStore(":memory:")
        yield Backend(store=store, raw=store)
        store.close()
        return
    emulators = request.getfixturevalue("firestore_emulator")
    from google.cloud import firestore

    from signal_copier.store.firestore.fleet import FirestoreFleetStore

    client = firestore.AsyncClient(project=emulators.project)
    yield Backend(store=FirestoreFleetStore(client), raw=client)
    client.close()


async def _link(backend: Backend, user: str, shard: int) -> None:
    await backend.store.link_session(SessionLink(user_id=user, shard=shard))


async def test_a_free_shard_goes_to_the_first_taker_with_epoch_one(backend: Backend) -> None:
    store = backend.store
    first = await store.acquire(3, "a", T0, TIMING)
    second = await store.acquire(3, "b", T0 + S, TIMING)
    assert first is not None and (first.owner, first.epoch, first.expires) == (
        "a",
        1,
        T0 + TIMING.ttl,
    )
    assert second is None


async def test_an_expired_lease_is_taken_only_after_the_margin_and_the_epoch_grows(
    backend: Backend,
) -> None:
    store = backend.store
    await store.acquire(1, "a", T0, TIMING)
    expired = T0 + TIMING.ttl
    early = await store.acquire(1, "b", expired + TIMING.takeover_margin - S, TIMING)
    taken = await store.acquire(1, "b", expired + TIMING.takeover_margin, TIMING)
    assert early is None
    assert taken is not None and (taken.owner, taken.epoch) == ("b", 2)


async def test_renewal_extends_only_leases_still_held_by_owner_and_epoch(backend: Backend) -> None:
    store = backend.store
    await store.acquire(1, "a", T0, TIMING)
    await store.acquire(2, "a", T0, TIMING)
    later = T0 + TIMING.ttl + TIMING.takeover_margin
    await store.acquire(2, "b", later, TIMING)  # a lost shard 2 while it could not renew
    kept = await store.renew({1: 1, 2: 1}, "a", later + S, TIMING)
    assert set(kept) == {1} and kept[1].expires == later + S + TIMING.ttl
    assert await store.renew({2: 1}, "b", later + S, TIMING) == {}  # right owner, wrong epoch


async def test_a_released_lease_is_taken_at_once_by_the_next_owner(backend: Backend) -> None:
    store = backend.store
    await store.acquire(5, "a", T0, TIMING)
    await store.release({5: 1}, "a", T0 + S)
    taken = await store.acquire(5, "b", T0 + 2 * S, TIMING)
    assert taken is not None and (taken.owner, taken.epoch) == ("b", 2)


async def test_a_stale_release_changes_nothing(backend: Backend) -> None:
    store = backend.store
    await store.acquire(5, "a", T0, TIMING)
    await store.release({5: 7}, "a", T0 + S)  # an epoch it never held
    assert await store.acquire(5, "b", T0 + 2 * S, TIMING) is None


async def test_concurrent_takers_of_one_shard_get_exactly_one_owner(backend: Backend) -> None:
    store = backend.store
    takers = [f"l{n}" for n in range(4)]
    results = await asyncio.gather(
        *(store.acquire(9, taker, T0, TIMING) for taker in takers), return_exceptions=True
    )
    # Under contention a taker may be told to come back (the emulator aborts a transaction that
    # waited too long for the lock, at times every one of them): StoreUnavailable, never a second
    # owner.
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, StoreUnavailable):
            raise result
    winners = [r for r in results if r is not None and not isinstance(r, BaseException)]
    assert len(winners) <= 1  # never two owners, even when every taker is told to come back
    told_later = [
        t for t, r in zip(takers, results, strict=True) if isinstance(r, StoreUnavailable)
    ]
    for taker in told_later:  # coming back one by one: the first takes it if nobody did
        taken = await store.acquire(9, taker, T0, TIMING)
        winners += [taken] if taken is not None else []
    assert len(winners) == 1 and winners[0].epoch == 1


async def test_a_scan_sees_free_and_expiring_shards_with_sessions_only(backend: Backend) -> None:
    store = backend.store
    for user, shard in (("u1", 1), ("u2", 1), ("u3", 2), ("u4", 3)):
        await _link(backend, user, shard)
    await store.acquire(2, "a", T0, TIMING)  # held for a minute
    await store.acquire(4, "a", T0 - TIMING.ttl, TIMING)  # expired, but has no sessions
    found = await store.shards(expiring_before=T0 + S)
    assert [(s.shard, s.sessions, s.owner) for s in found] == [(1, 2, ""), (3, 1, "")]
    later = await store.shards(expiring_before=T0 + TIMING.ttl + S)
    assert [s.shard for s in later] == [1, 2, 3]


async def test_a_broken_session_leaves_its_shard_and_the_user_is_told(backend: Backend) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await _link(backend, "u2", 1)
    await backend.follow("u1", "-1001")
    notice = Notice(user_id="u1", kind=NoticeKind.TELEGRAM_LINK_BROKEN, at=T0, detail="revoked")
    status = SessionHealth(connected=False, link=LinkState.BROKEN, last_error="revoked", updated=T0)
    await store.break_session(notice, status)
    await store.break_session(notice, status)  # a repeat must not uncount twice
    assert [s.user_id for s in await store.sessions([1])] == ["u2"]
    assert await store.session_count() == 1
    assert [s.sessions for s in await store.shards(expiring_before=T0)] == [1]
    assert await store.session_health("u1") == status
    assert [n.kind for n in await store.notices("u1")] == [NoticeKind.TELEGRAM_LINK_BROKEN] * 2


async def test_sessions_come_with_the_chats_their_users_follow(backend: Backend) -> None:
    await _link(backend, "u1", 1)
    await _link(backend, "u1", 1)  # linking again does not count twice
    await _link(backend, "u2", 40)
    await backend.follow("u1", "-1002")
    await backend.follow("u1", "-1001")
    found = await backend.store.sessions([1, 40, 41])
    assert found == [
        SessionLink(user_id="u1", shard=1, chats=("-1001", "-1002")),
        SessionLink(user_id="u2", shard=40, chats=()),
    ]
    assert await backend.store.session_count() == 2


async def test_watermarks_are_written_in_batches_and_never_move_back(backend: Backend) -> None:
    store = backend.store
    marks = [
        Watermark(user_id="u1", chat_id=f"-100{n}", message_id=n, seen_at=T0) for n in range(1, 40)
    ]
    await store.save_watermarks(marks)
    older = Watermark(user_id="u1", chat_id="-1005", message_id=2, seen_at=T0 - S)
    newer = Watermark(user_id="u1", chat_id="-1006", message_id=60, seen_at=T0 + S)
    await store.save_watermarks([older, newer])
    found = await store.watermarks("u1")
    assert len(found) == 39
    assert (found["-1005"].message_id, found["-1005"].seen_at) == (5, T0)
    assert (found["-1006"].message_id, found["-1006"].seen_at) == (60, T0 + S)
    assert await store.watermarks("u2") == {}


async def test_readable_chats_are_replaced_as_a_set(backend: Backend) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await store.put_chats(
        "u1", [ChatInfo(chat_id="-1001", title="Gold"), ChatInfo(chat_id="-1002")]
    )
    await store.put_chats("u1", [ChatInfo(chat_id="-1002", title="Renamed", kind="channel")])
    assert await backend.web().user_chats("u1") == [
        ChatInfo(chat_id="-1002", title="Renamed", kind="channel")
    ]


async def test_losing_a_chat_removes_the_subscription_and_tells_the_user(backend: Backend) -> None:
    await backend.follow("u1", "-1001")
    await backend.follow("u1", "-1002")
    notice = Notice(user_id="u1", kind=NoticeKind.CHAT_ACCESS_LOST, at=T0, chat_id="-1001")
    await backend.store.drop_subscription(notice)
    assert not await backend.follows("u1", "-1001")
    assert await backend.follows("u1", "-1002")
    assert await backend.store.notices("u1") == [notice]
    shown = await backend.web().activity("u1")  # the dashboard's view of the same record
    assert [(e.action, e.detail["chat_id"]) for e in shown] == [
        (AuditAction.CHANNEL_UNFOLLOWED, "-1001")
    ]


async def test_session_health_round_trips_and_the_dashboard_reads_it(backend: Backend) -> None:
    health = SessionHealth(connected=True, last_message_at=T0, updated=T0 + S)
    await _link(backend, "u1", 1)
    assert await backend.store.session_health("u1") is None
    await backend.store.put_session_health("u1", health)
    assert await backend.store.session_health("u1") == health
    shown = await backend.web().bot_status("u1")
    assert shown is not None and (shown.state, shown.updated) == ("running", T0 + S)


async def test_a_one_time_key_is_used_once_until_it_expires(backend: Backend) -> None:
    web = backend.web()
    until = T0 + 10 * S

    first = await web.use_once("widget:abc", T0, until)
    again = await web.use_once("widget:abc", T0 + 9 * S, until)
    other = await web.use_once("widget:abd", T0, until)
    after = await web.use_once("widget:abc", until, until + 10 * S)

    assert (first, again, other, after) == (True, False, True, True)


async def test_concurrent_uses_of_one_key_let_exactly_one_through(backend: Backend) -> None:
    web = backend.web()

    uses = await asyncio.gather(*(web.use_once("widget:same", T0, T0 + S) for _ in range(4)))

    assert sorted(uses) == [False, False, False, True]


async def _listened(backend: Backend, user: str) -> None:
    # What the listener running a session writes for it.
    store = backend.store
    await store.put_chats(user, [ChatInfo(chat_id="-1001", title="Gold")])
    await store.put_session_health(user, SessionHealth(connected=True, updated=T0))
    mark = Watermark(user_id=user, chat_id="-1001", message_id=7, seen_at=T0)
    await store.save_watermarks([mark])


async def test_unlinking_forgets_the_session_its_chats_marks_and_status_and_uncounts_it(
    backend: Backend,
) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await _link(backend, "u2", 1)
    await _listened(backend, "u1")

    await store.unlink_session("u1")
    await store.unlink_session("u1")  # a repeat must not uncount twice

    assert [s.user_id for s in await store.sessions([1])] == ["u2"]
    assert await store.session_count() == 1
    assert [s.sessions for s in await store.shards(expiring_before=T0)] == [1]
    assert await store.session_health("u1") is None
    assert await backend.web().bot_status("u1") is None
    assert await backend.web().user_chats("u1") == []
    assert await store.watermarks("u1") == {}


async def test_a_listener_still_stopping_an_unlinked_session_writes_nothing_back(
    backend: Backend,
) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await store.unlink_session("u1")
    notice = Notice(user_id="u1", kind=NoticeKind.TELEGRAM_LINK_BROKEN, at=T0, detail="gone")
    status = SessionHealth(connected=False, link=LinkState.BROKEN, last_error="x", updated=T0)

    await store.put_chats("u1", [ChatInfo(chat_id="-1001", title="Gold")])
    await store.put_session_health("u1", SessionHealth(connected=True, updated=T0))
    broken = await store.break_session(notice, status)

    assert broken is False
    assert await backend.web().user_chats("u1") == []
    assert await store.session_health("u1") is None
    assert await store.notices("u1") == []
    assert await store.session_count() == 0


async def test_unlinking_a_broken_session_forgets_it_without_uncounting_again(
    backend: Backend,
) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await _link(backend, "u2", 1)
    notice = Notice(user_id="u1", kind=NoticeKind.TELEGRAM_LINK_BROKEN, at=T0, detail="revoked")
    status = SessionHealth(connected=False, link=LinkState.BROKEN, last_error="x", updated=T0)
    assert await store.break_session(notice, status) is True

    await store.unlink_session("u1")

    assert await store.session_count() == 1
    assert [s.sessions for s in await store.shards(expiring_before=T0)] == [1]
    assert await store.session_health("u1") is None


async def test_linking_again_after_unlinking_counts_the_session_once(backend: Backend) -> None:
    store = backend.store
    await _link(backend, "u1", 1)
    await store.unlink_session("u1")
    await _link(backend, "u1", 1)
    await store.put_chats("u1", [ChatInfo(chat_id="-1002", title="Silver")])

    assert [s.user_id for s in await store.sessions([1])] == ["u1"]
    assert [s.sessions for s in await store.shards(expiring_before=T0)] == [1]
    assert await backend.web().user_chats("u1") == [ChatInfo(chat_id="-1002", title="Silver")]


async def test_activity_of_one_moment_lists_the_last_written_first_even_past_the_limit(
    backend: Backend,
) -> None:
    # Arrange: an earlier event, then three of one request (they share its time)
    web = backend.web()
    await web.add_audit(AuditEvent(user_id="u1", action=AuditAction.CHANNEL_FOLLOWED, at=T0 - S))
    for name in ("first", "second", "third"):
        await web.add_audit(
            AuditEvent(
                user_id="u1", action=AuditAction.TELEGRAM_UNLINKED, at=T0, detail={"n": name}
            )
        )

    # Act
    everything = await web.activity("u1")
    newest_two = await web.activity("u1", limit=2)

    # Assert: newest first, and of one moment the one written last first
    assert [e.detail.get("n") for e in everything] == ["third", "second", "first", None]
    assert [e.detail.get("n") for e in newest_two] == ["third", "second"]
