"""A chat's recent messages for one walk back, read a page at a time instead of one by one.

A follow-up checks the messages posted before it (services/targets.py); reading each message's
head and versions separately costs about three store round trips per message, so a close after
a chatty half hour waited for hundreds of reads. This reader takes the chat's messages up to
the walk's start in pages that double (8, 16, 32, … rows) and answers from them; a message the
pages show as absent, or that lies beyond what they may read, is read on its own, exactly as
before, so the walk's answers do not change.
"""

from __future__ import annotations

from signal_copier.core.records import MessageRecord
from signal_copier.services.deps import Deps

FIRST_PAGE = 8
MAX_ROWS = 800  # rows read in pages per walk at most; past them, messages are read one by one


class RecentMessages:
    """Every stored version of the chat's messages up to `last`, read in doubling pages."""

    def __init__(self, deps: Deps, chat_id: str, last: int) -> None:
        self._deps, self._chat, self._last = deps, chat_id, last
        self._known: dict[int, list[MessageRecord]] = {}  # message id -> versions, newest first
        self._next = last  # ids above it (up to `last`) are known, or known not to be stored
        self._page, self._rows, self._complete = FIRST_PAGE, 0, False

    async def versions(self, message_id: int) -> list[MessageRecord]:
        """Return every stored version of a message, newest first ([] if none is stored)."""
        if message_id <= self._last:
            while message_id <= self._next and not self._complete and self._rows < MAX_ROWS:
                await self._next_page()
            found = self._known.get(message_id)  # only ever holds whole messages
            if found is not None:
                return found
        # Absent from the pages (it may have arrived since), or beyond what they may read.
        return await read_versions(self._deps, self._chat, message_id)

    async def _next_page(self) -> None:
        limit = min(self._page, MAX_ROWS - self._rows)
        rows = await self._deps.store.messages_up_to(self._chat, self._next, limit)
        self._rows += len(rows)
        if len(rows) < limit:
            self._complete = True  # nothing more: every message up to `_next` is here
            self._keep(rows)
            return
        lowest = rows[-1].message_id  # its lower versions may be on the next page
        kept = [row for row in rows if row.message_id != lowest]
        self._keep(kept)
        self._next = lowest
        self._page *= 2  # a page filled by one message's versions is read again, larger

    def _keep(self, rows: list[MessageRecord]) -> None:
        for row in rows:
            self._known.setdefault(row.message_id, []).append(row)


async def read_versions(
    deps: Deps,
    chat_id: str,
    message_id: int,
    *,
    newest_only: bool = False,
    after: MessageRecord | None = None,
    below: int | None = None,
) -> list[MessageRecord]:
    """Return every stored version of one message, newest first, one read per version.

    `newest_only` stops after the latest; `after` continues from a latest already read;
    `below` starts under that version.
    """
    found: list[MessageRecord] = []
    store = deps.store
    latest = (
        after
        if after is not None
        else await store.latest_message(chat_id, message_id, before=below)
    )
    while latest is not None and len(found) < MAX_ROWS:
        found.append(latest)
        if newest_only:
            break
        latest = await store.latest_message(chat_id, message_id, before=latest.version)
    return found
