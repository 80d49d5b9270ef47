"""Before reading: drop a reply or forward header, and take out a bot post's position id."""

from __future__ import annotations

import re

# "[In reply to Gold VIP]", "Forwarded from MONEY BAGS PRO": who is quoted, not what is said.
_HEADER = re.compile(
    r"\s*[\[(]?(?:in reply to|replying to|reply to|forwarded from)\b[^\n]*(?:\n|$)",
    re.IGNORECASE,
)
HEADER_STARTS = frozenset("[(FfIiRr \t\n\r")  # how a header can begin
# "Position: 9a1f02c4", "Ticket: 50311877", "positionId=48213377": an id, not levels. It holds a
# digit (so "Order: BUY STOP" is no id) and is at least four characters long.
_POSITION = re.compile(
    r"\b(?:position|ticket)(?:[ _]?(?:id|no\.?|number))?"
    r"(?:[ \t]*[:#=][ \t]*|[ \t]+(?=\d{5,}\b))"  # "Ticket: 5031", "Ticket 50311877"
    r"(?=[0-9a-z_-]*\d)([0-9a-z][0-9a-z_-]{3,40})\b",
    re.IGNORECASE,
)


def strip_header(text: str) -> str:
    """Return `text` without a leading reply or forward header line."""
    if text[:1] not in HEADER_STARTS:
        return text  # the common case, decided without the pattern
    found = _HEADER.match(text)
    return text if found is None else text[found.end() :]


def position_id(text: str) -> tuple[str, str | None]:
    """Return `text` with a position id blanked out, and the id (None if there is none)."""
    if (
        "osition" not in text
        and "icket" not in text
        and "OSITION" not in text
        and "ICKET" not in text
    ):
        return text, None  # substring searches are far cheaper than the pattern
    found = _POSITION.search(text)
    if found is None:
        return text, None
    start, end = found.span(1)
    return text[:start] + " " * (end - start) + text[end:], found.group(1)
