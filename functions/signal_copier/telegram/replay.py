"""A replayed channel: JSON Lines of Telegram events (the format is a public contract).

`{"date", "chat", "id", "text", "reply_to", "edit_date"?, "received"?, "chat_title"?, "quote"?}`;
a line may carry only `date` and `quote` (paper-broker prices from that moment on).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import RawMessage

if TYPE_CHECKING:
    from signal_copier.core.ports import MessageSource


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplayEvent:
    """One line: a message (new or edited), new quotes, or both, at a moment."""

    at: datetime
    line: int
    message: RawMessage | None = None
    quotes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)


def read_events(lines: Iterable[str], source: str = "replay") -> list[ReplayEvent]:
    """Parse every line first, so a bad file is refused whole with the line that is wrong."""
    events = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            events.append(_event(json.loads(line), number))
        except json.JSONDecodeError as e:
            raise InvalidInput(f"{source}:{number}: not valid JSON ({e.msg})") from e
        except InvalidInput as e:
            raise InvalidInput(f"{source}:{number}: {e}") from e
    return events


def load(path: Path) -> list[ReplayEvent]:
    """Read a replay file; InvalidInput names the file and line of the first problem."""
    try:
        with path.open(encoding="utf-8") as handle:
            return read_events(handle, str(path))
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from e


class ReplaySource:
    """A MessageSource over replay events (quotes are handed to `on_quotes`)."""

    def __init__(self, events: list[ReplayEvent]) -> None:
        self._events = events

    async def messages(self) -> AsyncIterator[RawMessage]:
        """Yield the replay's messages in file order."""
        for event in self._events:
            if event.message is not None:
                yield event.message


def chats(events: Iterable[ReplayEvent]) -> list[str]:
    """Return every chat that appears in the events, in order of appearance."""
    seen: dict[str, None] = {}
    for event in events:
        if event.message is not None:
            seen.setdefault(event.message.chat_id, None)
    return list(seen)


def _event(obj: Any, number: int) -> ReplayEvent:
    if not isinstance(obj, dict):
        raise InvalidInput("each line must be a JSON object")
    date = _time(obj, "date")
    if date is None:
        raise InvalidInput("missing 'date'")
    quotes = _quotes(obj.get("quote"))
    if "id" not in obj and "chat" not in obj and "text" not in obj:
        if not quotes:
            raise InvalidInput("a line without a message must carry 'quote'")
        return ReplayEvent(at=date, line=number, quotes=quotes)
    message = _message(obj, date)
    return ReplayEvent(at=message.received, line=number, message=message, quotes=quotes)


def _message(obj: dict[str, Any], date: datetime) -> RawMessage:
    chat, msg_id, text = obj.get("chat"), obj.get("id"), obj.get("text")
    if isinstance(chat, bool) or not isinstance(chat, int | str) or not str(chat).strip():
        raise InvalidInput("'chat' must be a chat id or an @username")
    if isinstance(msg_id, bool) or not isinstance(msg_id, int) or msg_id <= 0:
        raise InvalidInput("'id' must be a positive integer")
    if not isinstance(text, str):
        raise InvalidInput("'text' must be a string")
    reply_to = obj.get("reply_to")
    if reply_to is not None and (isinstance(reply_to, bool) or not isinstance(reply_to, int)):
        raise InvalidInput("'reply_to' must be a message id or null")
    edit_date = _time(obj, "edit_date")
    received = _time(obj, "received") or edit_date or date
    return RawMessage(
        chat_id=str(chat),
        message_id=msg_id,
        text=text,
        date=date,
        received=received,
        reply_to=reply_to,
        edit_date=edit_date,
        chat_title=str(obj.get("chat_title") or ""),
    )


def _time(obj: dict[str, Any], key: str) -> datetime | None:
    value = obj.get(key)
    return None if value is None else codec.parse_utc(value, f"'{key}'")


def _quotes(value: Any) -> dict[str, tuple[Decimal, Decimal]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput("'quote' must map symbols to [bid, ask]")
    quotes = {}
    for symbol, pair in value.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput(f"quote {symbol}: expected [bid, ask]")
        try:
            bid, ask = (Decimal(str(p)) for p in pair)
        except InvalidOperation as e:
            raise InvalidInput(f"quote {symbol}: prices must be numbers") from e
        if not (bid.is_finite() and ask.is_finite()) or bid <= 0 or ask < bid:
            raise InvalidInput(f"quote {symbol}: need 0 < bid <= ask")
        quotes[str(symbol).upper()] = (bid, ask)
    return quotes


if TYPE_CHECKING:
    _conforms: MessageSource = ReplaySource([])
