"""What a listener publishes: once per message version, previous ids, edits that change text."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from signal_copier.core.fleet import Watermark
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.services.fleet_publish import Origin, Publisher, SessionMarks

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def _msg(message_id: int, text: str = "XAUUSD BUY", edit: datetime | None = None) -> RawMessage:
    return RawMessage(
        chat_id="-1001", message_id=message_id, text=text, date=T0, received=T0, edit_date=edit
    )


async def _published(queue: InProcessQueue) -> list[dict[str, Any]]:
    return queue.pending("messages")


async def test_previous_id_chains_the_messages_of_a_chat_and_the_epoch_is_stamped() -> None:
    queue = InProcessQueue()
    publisher = Publisher(queue)
    origin = Origin(user_id="tg1", epoch=4, previous_id=800)

    await publisher.publish(_msg(801), origin)
    await publisher.publish(_msg(802), origin)

    sent = await _published(queue)
    assert [(m["message_id"], m["previous_id"], m["epoch"]) for m in sent] == [
        (801, 800, 4),
        (802, 801, 4),
    ]


async def test_a_gap_fill_beside_live_messages_chains_each_message_to_the_one_before_it() -> None:
    # Arrange: a restarted session's mark is 800; message 810 arrives live while the gap fill
    # still publishes 801 and 802
    queue = InProcessQueue()
    publisher = Publisher(queue)
    origin = Origin(user_id="tg1", epoch=1, previous_id=800)

    # Act
    for message_id in (810, 801, 802):
        await publisher.publish(_msg(message_id), origin)

    # Assert: every previous id is a message before it (never the later live one)
    sent = await _published(queue)
    assert [(m["message_id"], m["previous_id"]) for m in sent] == [
        (810, 800),
        (801, 800),
        (802, 801),
    ]


async def test_a_deletion_is_published_once_and_takes_no_place_in_the_chat() -> None:
    queue = InProcessQueue()
    publisher = Publisher(queue)
    origin = Origin(user_id="tg1", epoch=2, previous_id=800)
    deletion = RawMessage(
        chat_id="-1001", message_id=801, text="", date=T0, received=T0, kind=MessageKind.DELETION
    )

    await publisher.publish(_msg(801), origin)
    sent_twice = [await publisher.publish(deletion, origin) for _ in range(2)]
    await publisher.publish(_msg(802), origin)

    assert sent_twice == [True, False]  # two sessions seeing one deletion: one publish
    sent = await _published(queue)
    assert [(m["message_id"], m["kind"], m["previous_id"]) for m in sent] == [
        (801, "message", 800),
        (801, "deletion", None),
        (802, "message", 801),
    ]


async def test_an_edit_that_keeps_the_text_is_not_published_again() -> None:
    queue = InProcessQueue()
    publisher = Publisher(queue)
    origin = Origin(user_id="tg1", epoch=1, previous_id=None)

    await publisher.publish(_msg(801), origin)
    same = await publisher.publish(_msg(801, edit=T0 + timedelta(seconds=5)), origin)
    changed = await publisher.publish(
        _msg(801, "XAUUSD BUY SL 2640", T0 + timedelta(seconds=9)), origin
    )

    assert (same, changed) == (False, True)
    assert len(await _published(queue)) == 2


async def test_a_failed_publish_is_forgotten_so_another_session_sends_it() -> None:
    class Failing(InProcessQueue):
        fail = True

        async def publish(self, *args: Any, **kwargs: Any) -> None:
            if self.fail:
                self.fail = False
                raise ConnectionError("pubsub down")
            await super().publish(*args, **kwargs)

    queue = Failing()
    publisher = Publisher(queue)
    origin = Origin(user_id="tg1", epoch=1, previous_id=None)
    with contextlib.suppress(ConnectionError):
        await publisher.publish(_msg(801), origin)

    assert await publisher.publish(_msg(801), Origin(user_id="tg2", epoch=1, previous_id=None))


def test_a_mark_waits_while_its_chat_is_being_filled() -> None:
    dirty: list[str] = []
    marks = SessionMarks("tg1", dirty.append)
    marks.filled_to("-1001", 10, T0)
    marks.take_dirty()

    marks.start_fill("-1001")
    marks.advance("-1001", 15, T0)  # a live message during the fill
    held = marks.get("-1001")
    marks.end_fill("-1001", T0, complete=False)  # the fill failed: the live one must not count

    assert held is not None and held.message_id == 10
    assert marks.get("-1001").message_id == 10  # type: ignore[union-attr]
    marks.start_fill("-1001")
    marks.advance("-1001", 15, T0)
    marks.end_fill("-1001", T0, complete=True)
    assert marks.get("-1001").message_id == 15  # type: ignore[union-attr]


def test_a_held_mark_ignores_later_messages_until_the_next_fill() -> None:
    marks = SessionMarks("tg1", lambda user: None)
    marks.filled_to("-1001", 10, T0)
    marks.hold("-1001")  # publishing message 11 failed

    marks.advance("-1001", 12, T0)

    assert marks.get("-1001").message_id == 10  # type: ignore[union-attr]


def test_a_mark_never_passes_a_live_message_still_being_published() -> None:
    marks = SessionMarks("tg1", lambda user: None)
    marks.filled_to("-1001", 10, T0)
    marks.sending("-1001", 11)
    marks.sending("-1001", 12)

    marks.advance("-1001", 12, T0)  # 12's handler finished first
    waiting = marks.get("-1001")
    marks.failed("-1001", 11)  # then publishing 11 failed

    assert waiting is not None and waiting.message_id == 10
    assert marks.get("-1001").message_id == 10  # type: ignore[union-attr]


def test_a_later_live_message_moves_the_mark_once_the_earlier_one_is_published() -> None:
    marks = SessionMarks("tg1", lambda user: None)
    marks.filled_to("-1001", 10, T0)
    marks.sending("-1001", 11)
    marks.sending("-1001", 12)

    marks.advance("-1001", 12, T0)
    marks.advance("-1001", 11, T0)

    assert marks.get("-1001").message_id == 12  # type: ignore[union-attr]


def test_live_messages_seen_before_a_chats_fill_begins_wait_for_that_fill() -> None:
    marks = SessionMarks("tg1", lambda user: None)
    marks.load({"-1002": Watermark(user_id="tg1", chat_id="-1002", message_id=900, seen_at=T0)})
    marks.begin(["-1001", "-1002"])

    marks.advance("-1002", 1000, T0)  # live, while -1001 is still being filled
    before = marks.get("-1002")
    marks.start_fill("-1002")
    marks.end_fill("-1002", T0, complete=True)

    assert before is not None and before.message_id == 900
    assert marks.get("-1002").message_id == 1000  # type: ignore[union-attr]
