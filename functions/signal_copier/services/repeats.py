"""A signal the channel posts again, level for level, soon after: one call, traded once.

Channels double-post (a bot's retry, an admin pasting twice) and repost a call for those who
missed it. A user who holds a trade of the earlier post gets no second one (`signal_repeated`:
one call is one risk); a user who missed it (stopped, out of quota, followed the channel later)
gets the repost as a signal of its own. A follow-up about the repost (a reply to it, or a bare
one after it) reaches the trade of the post it repeats.

A repost is a one-signal post whose text and signal are those of the channel's latest signal
before it (a reworded call, or one tagged "#2", is a call of its own), with only chatter between
(walking back through `previous_id`), within the settle window: a follow-up between (a close, a
stop moved, a re-entry) makes a later post of the same text a new call.
Limit: a repost handled before the post it repeats has arrived opens as a signal of its own
(nothing says it repeats anything yet).
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import history, ids
from signal_copier.core.model import Intent, Signal
from signal_copier.services import targets
from signal_copier.services.deps import Deps
from signal_copier.services.once import deadline
from signal_copier.services.recent import RecentMessages


async def repeat_of(
    deps: Deps, intent: Intent, signal: Signal, now: datetime
) -> targets.Wait | str | None:
    """Return why this repost opens nothing for the user, a Wait for the post, or None."""
    earlier = await _earlier_posts(deps, intent, intent.message_id, signal)
    bound = deadline(intent, deps)
    for post in earlier:
        if now < bound and not await targets.settled(deps, intent, post):
            return targets.wait_for(deps, intent, post)  # its opening for the user is under way
        if await _traded(deps, intent, post):
            return f"the channel posted this signal before (message {post}): it is traded once"
    return None


async def traded_post(deps: Deps, intent: Intent, signal_id: int) -> int:
    """Return the post whose trades a follow-up about `signal_id` reaches for the user.

    The signal's own post, unless it is a repost the user holds nothing of: then the earlier
    post of the same signal that the user traded (if any).
    """
    if await _traded(deps, intent, signal_id):
        return signal_id
    head = await deps.store.latest_message(intent.chat_id, signal_id)
    if head is None or len(head.signals) != 1:
        return signal_id
    for post in await _earlier_posts(deps, intent, signal_id, head.signals[0]):
        if await _traded(deps, intent, post):
            return post
    return signal_id


async def _earlier_posts(deps: Deps, intent: Intent, message_id: int, signal: Signal) -> list[int]:
    # The posts of the same one signal that `message_id` repeats, newest first.
    recent = RecentMessages(deps, intent.chat_id, message_id)
    current = targets.newest(await recent.versions(message_id))
    if current is None:
        return []
    since, words = targets.posted_at(current) - deps.timing.settle_window, _words(current.text)
    found: list[int] = []
    for _ in range(targets.MAX_STEPS):
        if current.previous_id is None:
            break
        previous = targets.newest(await recent.versions(current.previous_id))
        if previous is None or targets.posted_at(previous) < since:
            break  # not arrived (nothing can be told), or too long before
        live = not (previous.deleted or previous.superseded)
        if live and previous.command is not None:
            break  # the channel acted on its call since (closed it, moved it): a new call
        if live and history.is_signal(previous):
            if previous.signals != (signal,) or _words(previous.text) != words:
                break  # another signal came between: the repost is a call of its own
            found.append(previous.message_id)
        current = previous
    return found


async def _traded(deps: Deps, intent: Intent, post: int) -> bool:
    # Whether anything of the post (or of its re-entries) reached the user's account.
    records = await deps.store.trades(intent.user_id, ids.signal_ref(intent.chat_id, post))
    return any(r.result.fills for r in records)


def _words(text: str) -> list[str]:
    # The text as posted, whatever its spacing and line breaks.
    return text.split()
