"""What a chat posted after one of its messages: read newest first, a page at a time.

Messages arrive in any order, so an edit may be acted on after follow-ups posted after it, and
a fixed signal may come back after the channel closed it. Both look at what came later: the
chat's messages from the newest down to the message in question (or down to a time), in pages
that double (8, 16, 32, … rows), at most MAX_ROWS rows; past those, older ones are not seen.
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import codec
from signal_copier.core.records import MessageRecord
from signal_copier.services.deps import Deps
from signal_copier.services.recent import FIRST_PAGE, MAX_ROWS


async def posted_after(
    deps: Deps, chat_id: str, message_id: int, since: datetime | None = None
) -> list[MessageRecord]:
    """Return the stored versions of the chat's messages after `message_id`, newest first.

    With `since`, only messages posted after that time (messages are posted in id order).
    """
    found: list[MessageRecord] = []
    last, page, read = codec.MAX_INT, FIRST_PAGE, 0
    while read < MAX_ROWS:
        limit = min(page, MAX_ROWS - read)
        rows = await deps.store.messages_up_to(chat_id, last, limit)
        read += len(rows)
        full = len(rows) == limit
        lowest = rows[-1].message_id if full else None  # its lower versions may come next page
        for row in rows:
            if row.message_id == lowest:
                break
            if row.message_id <= message_id or (since is not None and _posted(row) <= since):
                return found
            found.append(row)
        if lowest is None:
            return found
        last, page = lowest, page * 2
    return found


def _posted(record: MessageRecord) -> datetime:
    return record.posted or record.date
