"""Round 6 of the hostile review: the paths around the engine — listeners, entry points, the API.

Each test is a scenario in which a trader silently missed a message, or one user's request acted
on another user's account, before its fix.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api_world import ApiWorld
from session_fakes import NOW, USER, Topic, UpdatesDuringHistory, WithRecent, post, session_runner
from signal_copier.core.errors import Retryable
from signal_copier.core.fleet import Watermark
from signal_copier.core.model import RawMessage
from signal_copier.core.settings import validate_settings
from signal_copier.services.fleet_publish import Origin, Publisher


async def test_a_live_message_in_one_chat_while_another_chat_is_gap_filled_loses_no_gap() -> None:
    # Before: a live message of chat B, delivered while chat A's gap was still being filled,
    # moved B's mark to its id before B's own fill began; B's fill then started after that id
    # and the messages posted in B during the outage were never published.
    # Arrange: marks A@10, B@900; during the outage B got 901..999, then 1000 arrives live
    # while A's gap (11, 12) is being read
    chat_a, chat_b = "-1001", "-1002"
    telegram = UpdatesDuringHistory(
        history={
            chat_a: [post(chat_a, 11), post(chat_a, 12)],
            chat_b: [post(chat_b, n) for n in range(901, 1001)],
        },
        live={chat_a: [post(chat_b, 1000)]},
    )
    topic = Topic()
    marks = [
        Watermark(user_id=USER, chat_id=chat_a, message_id=10, seen_at=NOW),
        Watermark(user_id=USER, chat_id=chat_b, message_id=900, seen_at=NOW),
    ]
    runner = await session_runner(telegram, topic, marks, (chat_a, chat_b), telegram.disconnected)

    # Act
    await runner.run()

    # Assert: every message of B's outage is published, once
    assert sorted(topic.ids(chat_b)) == list(range(901, 1001))
    assert topic.ids(chat_a) == [11, 12]
    mark = runner.marks.get(chat_b)
    assert mark is not None and mark.message_id == 1000


class TopicDown(Retryable):
    """Pub/Sub did not confirm a publish."""


class SlowThenDownTopic(Topic):
    """The `messages` topic where one publish hangs until released, then is not confirmed."""

    def __init__(self, slow_id: int) -> None:
        super().__init__()
        self.slow_id, self.release = slow_id, asyncio.Event()

    async def publish(
        self, topic: str, payload: dict[str, Any], *, attributes: Mapping[str, str] | None = None
    ) -> None:
        """Record a publish; the slow one fails the first time, after waiting for release."""
        if payload["message_id"] == self.slow_id and not self.release.is_set():
            await self.release.wait()
            raise TopicDown("publish not confirmed")
        await super().publish(topic, payload, attributes=attributes)


class ConcurrentUpdates(UpdatesDuringHistory):
    """Telethon's default update loop: each live message is handled in a task of its own, so a
    later message's handler may finish while an earlier one is still publishing.

    The first connection delivers `live`; the first message's publish is the slowest (the topic
    releases it once every other handler is done). The next connection only fills the gap.
    """

    def __init__(
        self, history: dict[str, list[RawMessage]], live: list[RawMessage], topic: Any
    ) -> None:
        super().__init__(history, {})
        self.rounds, self.topic, self.connections = [live], topic, 0

    async def run_until_disconnected(self) -> None:
        """Hand the round's live messages to concurrent handlers; end the scenario after two."""
        self.connections += 1
        live = self.rounds.pop(0) if self.rounds else []
        for message in live:  # posted now, once the session is caught up
            self.history[message.chat_id].append(message)
        assert self.handler is not None
        tasks = [asyncio.ensure_future(self.handler(m)) for m in live]
        await asyncio.gather(*tasks[1:])
        self.topic.release.set()
        await asyncio.gather(*tasks[:1])
        if self.connections == 2:
            self.disconnected.set()


async def test_a_live_message_whose_publish_fails_after_a_later_one_is_sent_is_still_filled() -> (
    None
):
    # Before: Telethon runs each update's handler in its own task; message 1002's handler
    # finished first and moved the mark to 1002 while 1001 was still being published. When
    # Pub/Sub then refused 1001, the reconnect's fill started after 1002: 1001 was lost (as it
    # was when the listener crashed between the two, once the mark of 1002 was written).
    # Arrange: the chat's mark is 1000; 1001 and 1002 arrive live, 1001's publish fails last
    chat = "-1001"
    posts = [post(chat, 1001), post(chat, 1002)]
    topic = SlowThenDownTopic(slow_id=1001)
    telegram = ConcurrentUpdates({chat: []}, posts, topic)
    marks = [Watermark(user_id=USER, chat_id=chat, message_id=1000, seen_at=NOW)]
    runner = await session_runner(telegram, topic, marks, (chat,), telegram.disconnected)

    # Act
    await runner.run()

    # Assert: 1001 is published by the reconnect's gap fill
    assert 1001 in topic.ids(chat)
    assert telegram.connections == 2


async def test_a_message_two_sessions_see_is_published_when_the_first_sessions_publish_fails() -> (
    None
):
    # Before: the listener publishes each message once for all its sessions; while session A's
    # publish was in flight, session B's copy was dropped as already published and B moved its
    # mark past it. When Pub/Sub then refused A's publish, the message was sent by nobody (A
    # refills only if it runs on: a session unlinked or fenced meanwhile never does).
    # Arrange: A's publish of the signal hangs, then fails
    chat = "-1001"
    topic = SlowThenDownTopic(slow_id=7)
    publisher = Publisher(topic)
    signal = post(chat, 7)
    first = asyncio.ensure_future(
        publisher.publish(signal, Origin(user_id="tg1", epoch=1, previous_id=6))
    )
    await asyncio.sleep(0)  # A's publish is in flight

    # Act: B sees the same message, then A's publish fails
    second = asyncio.ensure_future(
        publisher.publish(signal, Origin(user_id="tg2", epoch=1, previous_id=6))
    )
    await asyncio.sleep(0)
    topic.release.set()
    outcomes = await asyncio.gather(first, second, return_exceptions=True)

    # Assert: A learns its publish failed, and B's publish sent the message
    assert isinstance(outcomes[0], TopicDown)
    assert outcomes[1] is True
    assert topic.ids(chat) == [7]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        # Accepted before, then every pending order's expiry overflowed the date: the intent
        # failed at each attempt (OverflowError) and its order was never due to expire.
        ({"pending_expiry_minutes": 10**10}, "pending_expiry_minutes"),
        # A mapping under a lower-case name never applied ("xauusd" is no canonical symbol):
        # gold went to whatever the broker lists as XAUUSD, not to the mapped contract.
        ({"symbol_map": {"xauusd": "GOLD.pro"}}, None),
        # A mapping to an empty name, or one with a pasted space around it, refused every
        # signal of the instrument as unknown_symbol.
        ({"symbol_map": {"XAUUSD": " "}}, "symbol_map"),
        ({"symbol_map": {"": "GOLD"}}, "symbol_map"),
        ({"symbol_map": {"XAUUSD": "GOLD", "xauusd": "XAUUSD.m"}}, "symbol_map"),
    ],
)
def test_settings_that_would_break_the_engine_are_refused_or_made_usable_on_save(
    tmp_path: Path, settings: dict[str, Any], field: str | None
) -> None:
    # Arrange
    world = ApiWorld(tmp_path)
    token = {"Authorization": f"Bearer {asyncio.run(world.token('tg1'))}"}

    # Act
    with world.client() as client:
        answer = client.put("/api/users/tg1/settings", headers=token, json=settings)

    # Assert: refused naming the field (nothing stored), or stored in the form the engine reads
    user = asyncio.run(world.store.get_user("tg1"))
    if field is not None:
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["field"] == field
        assert user is None
    else:
        assert answer.status_code == 200, answer.text
        assert user is not None and user.settings["symbol_map"] == {"XAUUSD": "GOLD.pro"}


async def test_a_mapping_with_spaces_inside_a_broker_name_is_kept_as_written() -> None:
    # Deriv lists "Volatility 75 Index": a space inside a broker name is a real name.
    checked = validate_settings({"symbol_map": {" r_75 ": " Volatility 75 Index "}})

    assert checked.symbol_map == {"R_75": "Volatility 75 Index"}


async def test_a_signal_posted_between_a_follow_and_the_listeners_roster_read_is_published() -> (
    None
):
    # Before: a chat the session had never listened to started from its newest message, so a
    # signal posted after the user followed but before the listener's next roster read (up to a
    # minute) was never published when no other session listened to that channel.
    # Arrange: the chat's last message an hour ago, and a signal 30 s ago, before the roster read
    chat = "-1003"
    old = replace(post(chat, 40), date=NOW - timedelta(hours=1))
    signal = replace(post(chat, 41), date=NOW - timedelta(seconds=30))
    telegram = WithRecent(history={chat: [old, signal]}, live={})
    topic = Topic()
    runner = await session_runner(telegram, topic, [], (chat,), telegram.disconnected)

    # Act
    await runner.run()

    # Assert: the signal is published; what came long before the follow is not
    assert topic.ids(chat) == [41]
    mark = runner.marks.get(chat)
    assert mark is not None and mark.message_id == 41
