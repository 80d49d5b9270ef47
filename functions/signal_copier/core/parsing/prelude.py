"""Before reading: drop a reply or forward header, and take out a bot post's position id."""

from __future__ import annotations

import re

# "[In reply to Gold VIP]", "Forwarded from MONEY BAGS PRO": who is quoted, not what is said.
_HEADER = re.compile(
    r"[\[(]?(?:in reply to|replying to|reply to|forwarded from)\b[^\n]*(?:\n|$)", re.IGNORECASE
)
# "Position: 9a1f02c4", "Ticket: 50311877", "positionId=48213377": an id, not levels. It holds a
# digit (so "Order: BUY STOP" is no id) and is at least four characters long.
_POSITION = re.compile(
    r"\b(?:position|ticket|deal)(?:[ _]?(?:id|no\.?|number))?"
    r"(?:[ \t]*[:#=][ \t]*|[ \t]+(?=\d{5,}\b))"  # "Ticket: 5031", "Ticket 50311877"
    r"(?=[0-9a-z_-]*\d)([0-9a-z][0-9a-z_-]{3,40})\b",
    re.IGNORECASE,
)
_HINT = re.compile(r"[pPtTdD](?:(?<=[pP])osition|(?<=[tT])icket|(?<=[dD])eal)")


def strip_header(text: str) -> str:
    """Return `text` without a leading reply or forward header line."""
    start = len(text) - len(text.lstrip())
    if start < len(text) and text[start] in "[(FfIiRr":
        found = _HEADER.match(text, start)
        if found is not None:
            return text[found.end() :]
    return text


def position_id(text: str) -> tuple[str, str | None]:
    """Return `text` with a position id blanked out, and the id (None if there is none)."""
    if _HINT.search(text) is None:
        return text, None
    found = _POSITION.search(text)
    if found is None:
        return text, None
    start, end = found.span(1)
    return text[:start] + " " * (end - start) + text[end:], found.group(1)
