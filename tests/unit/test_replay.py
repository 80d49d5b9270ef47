"""The replay file contract: what it accepts, and clear errors that change nothing."""

import json
from decimal import Decimal as D

import pytest

from signal_copier.core.errors import InvalidInput
from signal_copier.telegram.replay import ReplaySource, chats, read_events

LINE = {
    "date": "2026-01-05T09:30:00Z",
    "chat": -1001234567890,
    "id": 812,
    "text": "hi",
    "reply_to": None,
}


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
    ],
)
def test_bad_line_is_refused_with_its_line_number(line: str, complaint: str) -> None:
    with pytest.raises(InvalidInput, match=complaint) as caught:
        read_events([json.dumps(LINE), line], "chan.jsonl")
    assert "chan.jsonl:2" in str(caught.value)


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
