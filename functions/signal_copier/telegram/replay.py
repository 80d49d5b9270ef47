"""A replayed channel: JSON Lines of Telegram events (the format is a public contract).

`{"date", "chat", "id", "text", "reply_to", "edit_date"?, "received"?, "chat_title"?, "quote"?}`;
a line may carry only `date` and `quote` (paper-broker prices from that moment on), and
`{"date", "chat", "id", "deleted": true}` is the chat deleting message `id` at `date`.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeGuard

from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput
from signal_copier.core.model import MessageKind, RawMessage
from signal_copier.core.timeline import ReplayEvent, chats, with_previous_ids

# ReplayEvent and chats live in core (services use them); callers of the file format find them here.
__all__ = ["ReplayEvent", "ReplaySource", "chats", "load", "read_events"]

if TYPE_CHECKING:
    from signal_copier.core.ports import MessageSource


MAX_ID = 2**63 - 1  # ids are 64-bit integers on Telegram and in the stores
MAX_PRICE = Decimal(10) ** 9  # no instrument trades near a billion: such a quote is a typo
_MAX_SYMBOL = 32


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
        except (ValueError, RecursionError) as e:  # 5,000-digit numbers, 100k-deep nesting
            raise InvalidInput(f"{source}:{number}: not valid JSON ({_first_line(e)})") from e
        except InvalidInput as e:
            raise InvalidInput(f"{source}:{number}: {e}") from e
    return with_previous_ids(events)


def load(path: Path) -> list[ReplayEvent]:
    """Read a replay file; InvalidInput names the file and line of the first problem."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise InvalidInput(f"cannot read {path}: {e.strerror}") from e
    return read_events(_decoded_lines(data, str(path)), str(path))


def _decoded_lines(data: bytes, source: str) -> list[str]:
    lines = data.removeprefix(b"\xef\xbb\xbf").split(b"\n")  # an editor's BOM is harmless
    decoded = []
    for number, raw in enumerate(lines, start=1):
        try:
            decoded.append(raw.decode("utf-8"))
        except UnicodeDecodeError as e:
            raise InvalidInput(
                f"{source}:{number}: not UTF-8 text (byte {e.start + 1} of the line); "
                "a replay file is JSON Lines"
            ) from e
    return decoded


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


class ReplaySource:
    """A MessageSource over replay events (quotes are handed to `on_quotes`)."""

    def __init__(self, events: list[ReplayEvent]) -> None:
        self._events = events

    async def messages(self) -> AsyncIterator[RawMessage]:
        """Yield the replay's messages in file order."""
        for event in self._events:
            if event.message is not None:
                yield event.message


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
    if isinstance(chat, int) and not -MAX_ID <= chat <= MAX_ID:
        raise InvalidInput("'chat' is out of range for a chat id")
    if not _positive_id(msg_id):
        raise InvalidInput(f"'id' must be a positive integer below 2^63, not {_short(msg_id)}")
    deleted = obj.get("deleted", False)
    if deleted is not False and deleted is not True:
        raise InvalidInput("'deleted' must be true or false")
    if deleted:
        return _deletion(obj, str(chat), msg_id, date)
    if not isinstance(text, str):
        raise InvalidInput("'text' must be a string")
    reply_to = obj.get("reply_to")
    if reply_to is not None and not _positive_id(reply_to):
        raise InvalidInput(
            f"'reply_to' must be a message id (below 2^63) or null, not {_short(reply_to)}"
        )
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


def _deletion(obj: dict[str, Any], chat: str, msg_id: int, date: datetime) -> RawMessage:
    if obj.get("text") or obj.get("edit_date") is not None or obj.get("reply_to") is not None:
        raise InvalidInput("a deletion line carries no 'text', 'edit_date' or 'reply_to'")
    received = _time(obj, "received") or date
    return RawMessage(
        chat_id=chat,
        message_id=msg_id,
        text="",
        date=date,
        received=received,
        chat_title=str(obj.get("chat_title") or ""),
        kind=MessageKind.DELETION,
    )


def _positive_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _short(value: Any) -> str:
    text = json.dumps(value) if isinstance(value, str | int | float | bool | None) else "that"
    return text if len(text) <= 24 else text[:20] + "…"


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
        if not _symbol_name(symbol):
            raise InvalidInput(f"quote {_short(symbol)}: not a symbol name")
        if not isinstance(pair, list) or len(pair) != 2:
            raise InvalidInput(f"quote {symbol}: expected [bid, ask]")
        quotes[symbol.upper()] = _prices(symbol, pair)
    return quotes


def _symbol_name(symbol: str) -> bool:
    # Deriv's MT5 names have single spaces inside ("Volatility 75 (1s) Index"); no name has a
    # tab, a line break, or a space at either end or twice in a row.
    if not symbol.strip() or len(symbol) > _MAX_SYMBOL or symbol != symbol.strip():
        return False
    return "  " not in symbol and not any(c.isspace() and c != " " for c in symbol)


def _prices(symbol: str, pair: list[Any]) -> tuple[Decimal, Decimal]:
    if any(isinstance(p, bool) or not isinstance(p, int | float | str) for p in pair):
        raise InvalidInput(f"quote {symbol}: prices must be numbers")
    try:
        bid, ask = (Decimal(str(p)) for p in pair)
    except InvalidOperation as e:
        raise InvalidInput(f"quote {symbol}: prices must be numbers") from e
    if not (bid.is_finite() and ask.is_finite()) or bid <= 0 or ask < bid:
        raise InvalidInput(f"quote {symbol}: need 0 < bid <= ask")
    if ask >= MAX_PRICE:
        raise InvalidInput(f"quote {symbol}: {ask} is not a price (at most {MAX_PRICE:,})")
    return bid, ask


if TYPE_CHECKING:
    _conforms: MessageSource = ReplaySource([])
