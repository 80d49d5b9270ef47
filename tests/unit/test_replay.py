"""The replay file contract: what it accepts, and clear errors that change nothing."""

import json
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.core.timeline import chats
from signal_copier.telegram.replay import ReplaySource, load, read_events

LINE = {
    "date": "2026-01-05T09:30:00Z",
    "chat": -1001234567890,
    "id": 812,
    "text": "hi",
    "reply_to": None,
}


DELETION = {"date": "2026-01-05T09:40:00Z", "chat": -1001234567890, "id": 812, "deleted": True}


def _lines(*objects: object) -> list[str]:
    return [json.dumps(o) for o in objects]


def test_message_line_becomes_a_raw_message() -> None:
    (event,) = read_events(_lines(LINE))
    assert event.message is not None
    assert (event.message.chat_id, event.message.message_id, event.message.version) == (
        "-1001234567890",
        812,
        0,
    )
    assert event.at == event.message.date == event.message.received


def test_edit_line_is_a_new_version_received_at_the_edit() -> None:
    (event,) = read_events(_lines({**LINE, "edit_date": "2026-01-05T09:31:10Z"}))
    assert event.message is not None and event.message.version > 0
    assert event.message.received.minute == 31


def test_received_later_than_date_measures_age_from_date() -> None:
    (event,) = read_events(_lines({**LINE, "received": "2026-01-05T09:40:00Z"}))
    assert (
        event.message is not None and (event.message.received - event.message.date).seconds == 600
    )


def test_quote_only_line_and_username_chat() -> None:
    events = read_events(
        _lines(
            {"date": "2026-01-05T09:00:00Z", "quote": {"xauusd": [2650, "2650.3"]}},
            {**LINE, "chat": "@goldsignals", "unknown_key": 1},
        )
    )
    assert events[0].message is None and events[0].quotes == {"XAUUSD": (D(2650), D("2650.3"))}
    assert chats(events) == ["@goldsignals"]


@pytest.mark.parametrize(
    ("line", "complaint"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps([1, 2]), "JSON object"),
        (json.dumps({**LINE, "date": "yesterday"}), "'date' is not an ISO time"),
        (json.dumps({**LINE, "date": "2026-01-05T09:30:00"}), "timezone"),
        (json.dumps({**LINE, "id": "812"}), "'id' must be a positive integer"),
        (json.dumps({**LINE, "text": None}), "'text' must be a string"),
        (json.dumps({**LINE, "chat": None}), "'chat'"),
        (json.dumps({"date": "2026-01-05T09:00:00Z"}), "must carry 'quote'"),
        (json.dumps({**LINE, "quote": {"XAUUSD": [2651, 2650]}}), "bid <= ask"),
        (json.dumps({**LINE, "id": 2**63}), "'id' must be a positive integer below 2\\^63"),
        (json.dumps({**LINE, "id": 10**4000 // 10**100}), "'id' must be a positive integer"),
        (json.dumps({**LINE, "reply_to": 2**64}), "'reply_to' must be a message id"),
        (json.dumps({**LINE, "reply_to": True}), "'reply_to' must be a message id"),
        (json.dumps({**LINE, "chat": -(2**70)}), "'chat' is out of range"),
        (json.dumps({**LINE, "quote": {"XAUUSD": [1e30, 1e30]}}), "not a price"),
        (json.dumps({**LINE, "quote": {"XAUUSD": ["NaN", "NaN"]}}), "bid <= ask"),
        (json.dumps({**LINE, "quote": {"XAUUSD": ["1e999999999", "1"]}}), "bid <= ask"),
        (json.dumps({**LINE, "quote": {"XAUUSD": [True, 2]}}), "must be numbers"),
        (json.dumps({**LINE, "quote": {"XAU\tUSD": [1, 2]}}), "not a symbol name"),
        (json.dumps({**LINE, "quote": {" XAUUSD": [1, 2]}}), "not a symbol name"),
        (json.dumps({**LINE, "quote": {"XAU  USD": [1, 2]}}), "not a symbol name"),
        (json.dumps({**DELETION, "deleted": "yes"}), "'deleted' must be true or false"),
        (json.dumps({**DELETION, "text": "XAUUSD BUY"}), "a deletion line carries no 'text'"),
        (json.dumps({**DELETION, "edit_date": "2026-01-05T09:31:10Z"}), "carries no 'text'"),
        (json.dumps({**DELETION, "id": 0}), "'id' must be a positive integer"),
        ('{"id": ' + "9" * 5000 + "}", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ],
)
def test_bad_line_is_refused_with_its_line_number(line: str, complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint) as caught:
        read_events([json.dumps(LINE), line], "chan.jsonl")
    assert "chan.jsonl:2" in str(caught.value)


def test_deletion_line_is_the_messages_last_version_and_keeps_the_chain() -> None:
    events = read_events(_lines(LINE, {**LINE, "id": 813}, DELETION, {**LINE, "id": 814}))

    deleted = events[2].message
    assert deleted is not None and deleted.deleted
    assert (deleted.message_id, deleted.version, deleted.text) == (812, ids.DELETED_VERSION, "")
    assert deleted.received == deleted.date == datetime(2026, 1, 5, 9, 40, tzinfo=UTC)
    assert deleted.previous_id is None  # it has no place of its own in the chat
    later = events[3].message
    assert later is not None and later.previous_id == 813


def test_a_deletion_line_may_say_when_the_listener_saw_it() -> None:
    (event,) = read_events(_lines({**DELETION, "received": "2026-01-05T09:45:00Z"}))
    assert event.message is not None and event.at == datetime(2026, 1, 5, 9, 45, tzinfo=UTC)


def test_the_largest_ids_are_accepted() -> None:
    (event,) = read_events(_lines({**LINE, "id": 2**63 - 1, "reply_to": 2**63 - 1}))
    assert event.message is not None and event.message.message_id == 2**63 - 1


def test_a_file_that_is_not_utf8_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "chan.jsonl"
    path.write_bytes(json.dumps(LINE).encode() + b"\n" + b'{"text": "\xff\xfe caf\xe9"}\n')

    with pytest.raises(InvalidInput, match=r"chan.jsonl:2: not UTF-8 text \(byte 11"):
        load(path)


def test_a_binary_file_is_refused_naming_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

    with pytest.raises(InvalidInput, match=r"image.png:1: not UTF-8"):
        load(path)


def test_a_byte_order_mark_from_an_editor_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "chan.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(LINE).encode() + b"\r\n")

    (event,) = load(path)

    assert event.message is not None and event.message.message_id == 812


def test_a_missing_file_is_named() -> None:
    with pytest.raises(InvalidInput, match=r"cannot read /nonexistent/chan\.jsonl"):
        load(Path("/nonexistent/chan.jsonl"))


async def test_replay_source_yields_the_messages_in_file_order_and_skips_quote_lines() -> None:
    events = read_events(
        _lines(
            {"date": "2026-01-05T09:00:00Z", "quote": {"XAUUSD": [2650, 2650.3]}},
            {**LINE, "id": 2},
            {**LINE, "id": 1, "edit_date": "2026-01-05T09:31:10Z"},
        )
    )
    got = [(m.message_id, m.version > 0) async for m in ReplaySource(events).messages()]
    assert got == [(2, False), (1, True)]
