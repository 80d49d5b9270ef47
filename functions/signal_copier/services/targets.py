"""Which signal a follow-up or edit acts on, and whether everything before it has been acted on.

Messages arrive in any order. A follow-up must act as if it had come in order, so before it
runs, the messages posted before it (its reply target, and the chat's messages back through
`previous_id` within the settle window) must have arrived and have finished for its user.
If one has not, the follow-up waits (`Wait`): it is parked and re-run when that message's
intents finish. Its bound ends only the wait for messages that never arrived (`Missing`) or
intents never delivered to the user: an intent of the user's that is running is always
waited for (it finishes, or gives up, within its attempts).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from signal_copier.core import history, ids
from signal_copier.core.fanout import intents_for
from signal_copier.core.model import Intent
from signal_copier.core.records import ClaimState, MessageRecord, Subscription
from signal_copier.services.deps import Deps

MAX_STEPS = 200  # messages walked back, or replies followed, at most


@dataclass(frozen=True, slots=True, kw_only=True)
class Wait:
    """Run again when message `awaiting` (in the intent's chat) has finished for the user."""

    awaiting: int
    ready: Callable[[], Awaitable[bool]]  # checked again right after parking (no lost wake-up)


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """The message a follow-up depends on never arrived (its bound passed)."""

    message_id: int


async def reply_target(
    deps: Deps, intent: Intent, reply_to: int, *, final: bool
) -> int | Wait | Missing | None:
    """Follow a reply chain back to the signal it is about: its message id, or None if none.

    A reply to a follow-up (or to chatter that replies to a signal) is about that signal.
    A reply to a bare follow-up is about what that follow-up was about: the caller resolves
    it from there (returned as the follow-up's id, which is not a signal).
    """
    current = reply_to
    for _ in range(MAX_STEPS):
        head = await _head(deps, intent.chat_id, current)
        if head is None:
            return Missing(message_id=current) if final else wait_for(deps, intent, current)
        if history.is_signal(head):
            if await _done(deps, intent, await _versions(deps, head), _Follows(), final=final):
                return current
            return wait_for(deps, intent, current)
        if head.reply_to is None or head.reply_to == current:
            # A bare follow-up replied to is about what it was about; the follow-up's own
            # message (an edit turned it into one) is about nothing else.
            bare = head.command is not None and current != intent.message_id
            return current if bare else None
        current = head.reply_to
    return None


async def settle_before(
    deps: Deps, intent: Intent, message_id: int, *, final: bool
) -> Wait | Missing | None:
    """Return a Wait (or Missing) if a message before `message_id` is not done for the user.

    Walks back through `previous_id` while messages are within the settle window of the
    start; None when everything before has arrived and finished for this user.
    """
    start = await _head(deps, intent.chat_id, message_id)
    if start is None:
        return None
    window_start = _posted(start) - deps.timing.settle_window
    current, follows = start, _Follows()  # the subscription is read once for the whole walk
    for _ in range(MAX_STEPS):
        previous_id = current.previous_id
        if previous_id is None or _posted(current) < window_start:
            return None
        previous = await _head(deps, intent.chat_id, previous_id)
        if previous is None:
            return Missing(message_id=previous_id) if final else wait_for(deps, intent, previous_id)
        if not await _done(deps, intent, await _versions(deps, previous), follows, final=final):
            return wait_for(deps, intent, previous_id)
        current = previous
    return None


async def latest_signal_before(deps: Deps, intent: Intent, message_id: int) -> int | None:
    """Return the channel's latest signal posted before `message_id`, or None if unknown.

    Walks back through `previous_id` (the chain a listener records); None when the chain
    breaks before a signal (no previous id, or a message this store does not hold).
    """
    current = await _head(deps, intent.chat_id, message_id)
    for _ in range(MAX_STEPS):
        if current is None or current.previous_id is None:
            return None
        previous = await _head(deps, intent.chat_id, current.previous_id)
        if previous is not None and history.is_signal(previous) and not previous.superseded:
            return previous.message_id
        current = previous
    return None


async def settled(
    deps: Deps,
    intent: Intent,
    message_id: int,
    *,
    below_version: int | None = None,
    final: bool = False,
) -> bool:
    """Return whether a message has arrived, fanned out, and its intents for the user are done.

    Only versions below `below_version` count when it is given (an edit waits for the versions
    before it). Intents the user was not expected to get (followed the chat later) don't count.
    `final` (the waiter's bound passed): a message that never arrived and intents never
    delivered no longer count; intents that were delivered must still finish.
    """
    latest = await deps.store.latest_message(intent.chat_id, message_id)
    versions = [] if latest is None else await _versions(deps, latest)
    return await _done(deps, intent, versions, _Follows(), below_version=below_version, final=final)


class _Follows:
    """The intent's user's subscription to its chat, read once when first needed."""

    def __init__(self) -> None:
        self._read: list[Subscription | None] = []

    async def get(self, deps: Deps, intent: Intent) -> Subscription | None:
        if not self._read:
            self._read.append(await deps.store.subscription(intent.user_id, intent.chat_id))
        return self._read[0]


async def _done(
    deps: Deps,
    intent: Intent,
    versions: list[MessageRecord],
    follows: _Follows,
    *,
    below_version: int | None = None,
    final: bool,
) -> bool:
    # See `settled`; `versions` are the message's stored versions, newest first.
    if not versions:
        return final
    if any(v.wait_until is not None for v in versions) and not final:
        return False
    subscription = await follows.get(deps, intent)
    expected: list[str] = []
    for version in versions:
        if below_version is not None and version.version >= below_version:
            continue
        if version.fanned_out < 0 and not version.superseded and not final:
            return False  # its intents are not all published yet
        if _expected(version, subscription):
            # Someone who no longer follows the chat gets its follow-ups and edits, not openings.
            left = subscription is None
            own = intents_for(version, [_as_follower(intent)], trace_id="", follow_ups_only=left)
            expected += [i.id for i in own if i.id != intent.id]
    states = await deps.store.claim_states(expected)
    if final:  # only what was delivered counts now
        return all(state is ClaimState.DONE for state in states.values())
    return all(states.get(intent_id) is ClaimState.DONE for intent_id in expected)


def signal_key(chat_id: str, message_id: int) -> str:
    """Return the ref under which a signal's trades are recorded."""
    return ids.signal_ref(chat_id, message_id)


async def _head(deps: Deps, chat_id: str, message_id: int) -> MessageRecord | None:
    head = await deps.store.latest_message(chat_id, message_id)
    if head is None or head.wait_until is not None:
        return None  # not arrived, or only as an edit still waiting for its original
    return head


async def _versions(deps: Deps, latest: MessageRecord) -> list[MessageRecord]:
    # Every stored version of a message, newest first, from its latest one (already read).
    found = [latest]
    for _ in range(MAX_STEPS - 1):
        record = await deps.store.latest_message(
            latest.chat_id, latest.message_id, before=found[-1].version
        )
        if record is None:
            break
        found.append(record)
    return found


def wait_for(
    deps: Deps, intent: Intent, message_id: int, *, below_version: int | None = None
) -> Wait:
    """Return a Wait for a message to be done for the intent's user (see `settled`)."""

    async def ready() -> bool:
        return await settled(deps, intent, message_id, below_version=below_version)

    return Wait(awaiting=message_id, ready=ready)


def _expected(version: MessageRecord, subscription: Subscription | None) -> bool:
    if subscription is None or subscription.since is None:
        return True
    return subscription.since <= (version.received or version.date)


def _as_follower(intent: Intent) -> Subscription:
    return Subscription(user_id=intent.user_id, chat_id=intent.chat_id)


def _posted(record: MessageRecord) -> datetime:
    return record.posted or record.date
