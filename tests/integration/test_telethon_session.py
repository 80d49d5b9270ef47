"""Telethon 1.45 handlers exercised offline with real update and message objects
(TESTING_NOTES.md recipe: an unconnected client, updates fed through its own pipeline)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from telethon import TelegramClient, errors, events, types
from telethon.sessions import StringSession

from signal_copier.core import ids
from signal_copier.core.dashboard import WrongCode
from signal_copier.core.fleet import (
    ChatAccessLost,
    SessionRevoked,
    TelegramFloodWait,
    TelegramUnavailable,
)
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.telegram.telethon.errors import translate
from signal_copier.telegram.telethon.session import KNOWN_IDS, TelethonSession, TelethonSessions

ME = 555000
CHANNEL = 1234567890
POSTED = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 30, 2, tzinfo=UTC)


class Recorder:
    def __init__(self) -> None:
        self.seen: list[RawMessage] = []

    async def __call__(self, message: RawMessage) -> None:
        self.seen.append(message)


def _client() -> TelegramClient:
    client = TelegramClient(StringSession(), api_id=1, api_hash="0" * 32)
    client._mb_entity_cache.set_self_user(ME, True, 999)

    async def offline(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the handlers must not need the network")

    client._call = offline
    return client


def _channel() -> Any:
    return types.Channel(
        id=CHANNEL,
        title="Gold Signals",
        photo=types.ChatPhotoEmpty(),
        date=POSTED,
        access_hash=99,
        broadcast=True,
    )


def _message(
    text: str, *, msg_id: int = 812, edit_date: datetime | None = None, reply: int | None = None
) -> Any:
    return types.Message(
        id=msg_id,
        peer_id=types.PeerChannel(CHANNEL),
        date=POSTED,
        message=text,
        edit_date=edit_date,
        reply_to=types.MessageReplyHeader(reply_to_msg_id=reply) if reply else None,
        post=True,
    )


async def _feed(client: TelegramClient, update: Any) -> None:
    for ready in await client._preprocess_updates([update], [], [_channel()]):
        await client._dispatch_update(ready)


async def _session_seeing(update: Any) -> list[RawMessage]:
    client, seen = _client(), Recorder()
    TelethonSession(client, clock=lambda: NOW).on_message(seen)
    await _feed(client, update)
    return seen.seen


async def test_a_channel_post_becomes_a_raw_message_with_every_field() -> None:
    update = types.UpdateNewChannelMessage(
        message=_message("XAUUSD BUY 2650", reply=805), pts=10, pts_count=1
    )

    seen = await _session_seeing(update)

    assert seen == [
        RawMessage(
            chat_id="-1001234567890",
            message_id=812,
            text="XAUUSD BUY 2650",
            date=POSTED,
            received=NOW,
            reply_to=805,
            chat_title="Gold Signals",
        )
    ]


@pytest.mark.parametrize(
    "header",
    [
        # "Reply in another chat": the id is a message of that chat, not of this one
        types.MessageReplyHeader(reply_to_msg_id=805, reply_to_peer_id=types.PeerChannel(42)),
        # a reply to a message this session cannot see, known only by its forward header
        types.MessageReplyHeader(reply_from=types.MessageFwdHeader(date=POSTED)),
        types.MessageReplyStoryHeader(peer=types.PeerUser(7), story_id=3),  # to a story
    ],
)
async def test_a_reply_to_something_outside_the_chat_is_a_reply_about_nothing_in_it(
    header: Any,
) -> None:
    # Arrange: "Close now" replying to something that is not one of this chat's messages
    message = _message("Close now")
    message.reply_to = header
    update = types.UpdateNewChannelMessage(message=message, pts=10, pts_count=1)

    # Act
    (seen,) = await _session_seeing(update)

    # Assert: never read as a reply to this chat's message 805, nor as a bare follow-up (which
    # acts on the channel's latest signal): a reply to itself, which is about nothing else
    assert seen.reply_to == seen.message_id == 812


async def test_a_reply_within_the_chat_naming_its_own_peer_keeps_its_target() -> None:
    message = _message("Close now")
    message.reply_to = types.MessageReplyHeader(
        reply_to_msg_id=805, reply_to_peer_id=types.PeerChannel(CHANNEL)
    )
    update = types.UpdateNewChannelMessage(message=message, pts=10, pts_count=1)

    (seen,) = await _session_seeing(update)

    assert seen.reply_to == 805


async def test_an_edit_carries_its_edit_date_and_new_text() -> None:
    edited_at = datetime(2026, 3, 2, 9, 31, 10, tzinfo=UTC)
    update = types.UpdateEditChannelMessage(
        message=_message("XAUUSD BUY 2650 SL 2640", edit_date=edited_at), pts=11, pts_count=1
    )

    seen = await _session_seeing(update)

    assert [(m.text, m.edit_date, m.version != 0) for m in seen] == [
        ("XAUUSD BUY 2650 SL 2640", edited_at, True)
    ]


async def test_a_reaction_on_a_never_edited_post_is_ignored() -> None:
    update = types.UpdateEditChannelMessage(
        message=_message("XAUUSD BUY 2650"), pts=12, pts_count=1
    )

    assert await _session_seeing(update) == []


async def test_a_post_without_text_is_ignored() -> None:
    update = types.UpdateNewChannelMessage(message=_message(""), pts=13, pts_count=1)

    assert await _session_seeing(update) == []


async def test_a_channel_deletion_becomes_one_deletion_per_deleted_message() -> None:
    update = types.UpdateDeleteChannelMessages(
        channel_id=CHANNEL, messages=[812, 815], pts=14, pts_count=2
    )

    seen = await _session_seeing(update)

    assert seen == [
        RawMessage(
            chat_id="-1001234567890",
            message_id=number,
            text="",
            date=NOW,
            received=NOW,
            kind=MessageKind.DELETION,
        )
        for number in (812, 815)
    ]
    assert {m.version for m in seen} == {ids.DELETED_VERSION}
    assert len({m.id for m in seen}) == 2  # each its own deterministic key


GROUP = 4242  # a basic group: like private chats, its message ids are the account's own


def _group_message(text: str, msg_id: int) -> Any:
    return types.Message(
        id=msg_id, peer_id=types.PeerChat(GROUP), date=POSTED, message=text, from_id=None
    )


async def _feed_group(client: TelegramClient, update: Any) -> None:
    group = types.Chat(
        id=GROUP,
        title="Signals group",
        photo=types.ChatPhotoEmpty(),
        participants_count=3,
        date=POSTED,
        version=1,
    )
    for ready in await client._preprocess_updates([update], [], [group]):
        await client._dispatch_update(ready)


async def test_a_deletion_in_a_basic_group_is_read_through_the_chat_the_message_was_seen_in() -> (
    None
):
    # Arrange: the session saw message 40 posted in the group; Telegram deletes it by id alone
    client, seen, dispatched = _client(), Recorder(), []

    async def telethon_saw(event: Any) -> None:
        dispatched.append((event.chat_id, event.deleted_ids))

    TelethonSession(client, clock=lambda: NOW).on_message(seen)
    client.add_event_handler(telethon_saw, events.MessageDeleted())
    posted = _group_message("XAUUSD SELL LIMIT 2660 SL 2670", 40)
    await _feed_group(client, types.UpdateNewMessage(message=posted, pts=4, pts_count=1))

    # Act: 40 and 41 deleted, 41 never seen by this session
    await _feed(client, types.UpdateDeleteMessages(messages=[40, 41], pts=6, pts_count=2))

    # Assert: Telethon names no chat; the deletion of 40 is published for the group, 41 is not
    assert dispatched == [(None, [40, 41])]
    assert [(m.kind, m.chat_id, m.message_id) for m in seen.seen] == [
        (MessageKind.MESSAGE, str(-GROUP), 40),
        (MessageKind.DELETION, str(-GROUP), 40),
    ]


async def test_a_deletion_of_a_message_never_seen_outside_a_channel_is_not_published() -> None:
    update = types.UpdateDeleteMessages(messages=[40, 41], pts=5, pts_count=2)

    assert await _session_seeing(update) == []


def test_a_session_remembers_a_bounded_number_of_non_channel_message_ids() -> None:
    session = TelethonSession(_client(), clock=lambda: NOW)
    for number in range(1, KNOWN_IDS + 11):
        session.raw(_group_message("hello", number))

    deleted = session.deletions(events.MessageDeleted.Event([1, 10, 11, KNOWN_IDS + 10], None))

    assert [m.message_id for m in deleted] == [11, KNOWN_IDS + 10]


def test_session_clients_never_reconnect_by_themselves() -> None:
    session = TelethonSessions(api_id=1, api_hash="0" * 32).open(
        "tg1", StringSession().save().encode()
    )

    client = session._client
    assert client._auto_reconnect is False
    assert client._catch_up is False


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (errors.AuthKeyUnregisteredError(request=None), SessionRevoked),
        (errors.SessionRevokedError(request=None), SessionRevoked),
        (errors.AuthKeyDuplicatedError(request=None), SessionRevoked),
        (errors.UserDeactivatedError(request=None), SessionRevoked),
        (errors.UserDeactivatedBanError(request=None), SessionRevoked),
        (errors.FloodWaitError(request=None, capture=42), TelegramFloodWait),
        (errors.ChannelPrivateError(request=None), ChatAccessLost),
        (errors.PhoneCodeInvalidError(request=None), WrongCode),
        (errors.RpcCallFailError(request=None), TelegramUnavailable),
        (ConnectionResetError("reset"), TelegramUnavailable),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, BaseException) else v.__name__,
)
def test_telethon_errors_map_through_the_one_table(error: BaseException, expected: type) -> None:
    assert isinstance(translate(error), expected)


def test_a_2fa_prompt_is_never_taken_for_a_dead_session() -> None:
    assert translate(errors.SessionPasswordNeededError(request=None)) is None


def test_a_flood_wait_keeps_telegrams_wait_time() -> None:
    found = translate(errors.FloodWaitError(request=None, capture=42))
    assert isinstance(found, TelegramFloodWait) and found.seconds == 42
