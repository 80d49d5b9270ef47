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
from signal_copier.core.fanout import intent_ids_for
from signal_copier.core.model import Intent
from signal_copier.core.records import ClaimState, MessageRecord, Subscription
from signal_copier.services.deps import Deps
from signal_copier.services.recent import RecentMessages, read_versions

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
    current = reply_to  # a reply may reach far back: each message is read on its own
    if current > intent.message_id:
        return None  # no reply within a chat names a later message: this id is not this chat's
    for _ in range(MAX_STEPS):
        below = _own_versions(intent, current)
        versions = await read_versions(deps, intent.chat_id, current, newest_only=True, below=below)
        head = newest(versions)
        if head is None:
            return Missing(message_id=current) if final else wait_for(deps, intent, current)
        if history.is_signal(head):
            versions = await read_versions(deps, intent.chat_id, current, after=head)
            if await _done(deps, intent, versions, _Follows(), final=final):
                return current
            return wait_for(deps, intent, current, below_version=below)
        if head.reply_to is not None and head.reply_to > current:
            return None  # the chain leaves the chat (see above): it is about none of its signals
        if head.reply_to is None or head.reply_to == current:
            # A bare follow-up replied to is about what it was about; the follow-up's own
            # message (an edit turned it into one) is about nothing else.
            bare = head.command is not None and current != intent.message_id
            return current if bare else None
        current = head.reply_to
    return None


def _own_versions(intent: Intent, message_id: int) -> int | None:
    # A follow-up on its own message (a signal edited into "cancelled") is about the versions
    # up to its own: a later edit, or the message's deletion, waits for it, not it for them.
    return intent.version + 1 if message_id == intent.message_id else None


async def settle_before(
    deps: Deps, intent: Intent, message_id: int, *, final: bool
) -> Wait | Missing | None:
    """Return a Wait (or Missing) if a message before `message_id` is not done for the user.

    Walks back through `previous_id` while messages are within the settle window of the
    start; None when everything before has arrived and finished for this user. The chat's
    recent messages are read in pages and the user's intents' states in one read.
    """
    recent = RecentMessages(deps, intent.chat_id, message_id)
    start = newest(await recent.versions(message_id))
    if start is None:
        return None
    window_start = posted_at(start) - deps.timing.settle_window
    current, walked, outcome = start, [], None
    for _ in range(MAX_STEPS):
        previous_id = current.previous_id
        if previous_id is None or posted_at(current) < window_start:
            break
        versions = await recent.versions(previous_id)
        previous = newest(versions)
        if previous is None:
            outcome = (
                Missing(message_id=previous_id) if final else wait_for(deps, intent, previous_id)
            )
            break
        walked.append(versions)
        current = previous
    pending = await _first_pending(deps, intent, walked, final=final)
    return wait_for(deps, intent, pending) if pending is not None else outcome


async def latest_signal_before(deps: Deps, intent: Intent, message_id: int) -> int | None:
    """Return the channel's latest signal posted before `message_id`, or None if unknown.

    Walks back through `previous_id` (the chain a listener records); None when the chain
    breaks before a signal (no previous id, or a message this store does not hold). A signal
    whose deletion has arrived is passed over.
    """
    recent = RecentMessages(deps, intent.chat_id, message_id)
    current = newest(await recent.versions(message_id))
    for _ in range(MAX_STEPS):
        if current is None or current.previous_id is None:
            return None
        previous = newest(await recent.versions(current.previous_id))
        # A signal the channel deleted is not its latest signal any more.
        live = previous is not None and not (previous.superseded or previous.deleted)
        if live and previous is not None and history.is_signal(previous):
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
    versions = await read_versions(deps, intent.chat_id, message_id)
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
    expected = await _expected_ids(
        deps, intent, versions, follows, below_version=below_version, final=final
    )
    if isinstance(expected, bool):
        return expected
    return _all_done(await deps.store.claim_states(expected), expected, final=final)


async def _first_pending(
    deps: Deps, intent: Intent, walked: list[list[MessageRecord]], *, final: bool
) -> int | None:
    # The first walked message not done for the user (as `_done` judges), or None; the
    # states of every walked message's intents are read at once.
    follows, verdicts, wanted = _Follows(), [], []
    for versions in walked:
        expected = await _expected_ids(deps, intent, versions, follows, final=final)
        verdicts.append(expected)
        if not isinstance(expected, bool):
            wanted += expected
    states = await deps.store.claim_states(wanted) if wanted else {}
    for versions, expected in zip(walked, verdicts, strict=True):
        done = expected if isinstance(expected, bool) else _all_done(states, expected, final=final)
        if not done:
            return versions[0].message_id
    return None


async def _expected_ids(
    deps: Deps,
    intent: Intent,
    versions: list[MessageRecord],
    follows: _Follows,
    *,
    below_version: int | None = None,
    final: bool,
) -> list[str] | bool:
    # The user's intents the message's versions must have finished, or the verdict already.
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
            # Someone who no longer follows the chat gets its follow-ups and edits, not openings;
            # an opening delivered before they left still counts (it may have placed legs).
            left = subscription is None
            own = intent_ids_for(version, intent.user_id, follow_ups_only=left)
            if left:
                own += await _delivered_openings(deps, version, intent.user_id, own)
            expected += [i for i in own if i != intent.id]
    return expected


async def _delivered_openings(
    deps: Deps, version: MessageRecord, user_id: str, follow_ups: list[str]
) -> list[str]:
    openings = [i for i in intent_ids_for(version, user_id) if i not in follow_ups]
    states = await deps.store.claim_states(openings) if openings else {}
    return [i for i in openings if i in states]


def _all_done(states: dict[str, ClaimState], expected: list[str], *, final: bool) -> bool:
    if final:  # only what was delivered counts now
        return all(states[i] is ClaimState.DONE for i in expected if i in states)
    return all(states.get(i) is ClaimState.DONE for i in expected)


def signal_key(chat_id: str, message_id: int) -> str:
    """Return the ref under which a signal's trades are recorded."""
    return ids.signal_ref(chat_id, message_id)


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


def newest(versions: list[MessageRecord]) -> MessageRecord | None:
    """Return a message's latest version; None if not arrived, or only as an edit still waiting."""
    if not versions or versions[0].wait_until is not None:
        return None
    return versions[0]


def posted_at(record: MessageRecord) -> datetime:
    """Return when the channel posted the message (its date when the post time is unknown)."""
    return record.posted or record.date
