"""A re-entry opens a new trade from the signal it refers to: once, with every opening guard.

The signal is found as any follow-up finds its target (services/about.py: the reply followed
back, or the channel's latest signal older than the re-entry; it waits, parked, while that is
not known yet). The trade is the re-entry's own: its intent id and clientIds come from the
re-entry message, so the signal's trade is never opened twice and a redelivered re-entry opens
nothing more. It is recorded as the opening it became, filed with the signal it repeats: what
reaches that signal (its deletion, its edit into a cancel, a follow-up about it) reaches this
trade too, while a reply to the re-entry message reaches this trade alone. A split signal is
repeated with the levels its levels-only messages completed it with.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from signal_copier.core import history, ids, reentry
from signal_copier.core.model import Command, Intent, IntentKind, Signal, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord
from signal_copier.core.reentry import Refusal
from signal_copier.core.symbol_map import same_instrument
from signal_copier.services import later, opening
from signal_copier.services.about import about_of
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.late_ends import taken_back_at_once
from signal_copier.services.once import Recorded, deadline
from signal_copier.services.recent import read_versions
from signal_copier.services.records import skipped
from signal_copier.services.targets import Wait

_NONE = "there is no earlier signal of this channel it could repeat"


async def reenter(
    intent: Intent, command: Command, deps: Deps, now: datetime, retry: bool
) -> TradeResult | Wait | Recorded:
    """Open the re-entry `command` as a new trade of the signal it refers to, or record why not."""
    final = now >= deadline(intent, deps)
    # The symbol a re-entry names is checked against its signal, not used to pick one.
    about = await about_of(deps, intent, replace(command, symbol=None), final=final)
    if isinstance(about, Wait):
        return about
    if isinstance(about, str) or about.signal is None:
        return skipped(intent, Reason.NO_SIGNAL, about if isinstance(about, str) else _NONE)
    referred = await _referred(deps, intent, command, about.signal)
    signal = referred if isinstance(referred, Refusal) else reentry.reopened(command, referred)
    if isinstance(signal, Refusal):
        return await _refused(deps, intent, signal, now, retry=retry)
    opened = _as_opening(intent, signal)
    outcome = await opening.open_signal(opened, signal, deps, now, retry=retry)
    if isinstance(outcome, Wait):
        return outcome
    if outcome.fills:  # the signal's end handled while the legs were on their way missed them
        outcome = await _undone_if_gone(deps, intent, command, about.signal, outcome)
    # Filed with the signal it repeats: its deletion, its cancel and replies to it reach this too.
    return Recorded(intent=opened, result=_noted(outcome, about.signal), group=about.signal)


_ENDS = (Reason.SIGNAL_DELETED, Reason.SIGNAL_CANCELLED, Reason.SIGNAL_CHANGED)


async def _undone_if_gone(
    deps: Deps, intent: Intent, command: Command, signal_id: int, result: TradeResult
) -> TradeResult:
    # The deletion (or cancel, or flip) of the signal does not wait for re-entries it cannot
    # know of yet: one handled while this re-entry placed found nothing to take back.
    now_referred = await _referred(deps, intent, command, signal_id, placed=True)
    if not isinstance(now_referred, Refusal) or now_referred.reason not in _ENDS:
        return result
    why = (now_referred.reason, now_referred.detail)
    return await taken_back_at_once(deps, intent, result, why)


def _as_opening(intent: Intent, signal: Signal) -> Intent:
    # The same id (chat, message, version, user, part): only what it opens is filled in.
    return replace(intent, kind=IntentKind.OPEN, signal=signal, command=None)


async def _referred(
    deps: Deps, intent: Intent, command: Command, signal_id: int, *, placed: bool = False
) -> Signal | Refusal:
    # The referred signal as the channel had it when the re-entry was posted, unless it deleted
    # or cancelled it (or the latest signal since) before. Once placed (`placed`), as it is now:
    # an end or a flip since takes the re-entry's legs back, as it reaches a recorded one.
    head = await deps.store.latest_message(intent.chat_id, signal_id)
    if head is None:
        return Refusal(reason=Reason.NO_SIGNAL, detail=f"message {signal_id} is not stored")
    if head.deleted:  # a deletion has no date: whenever it came, it comes first
        detail = f"the channel deleted the signal it repeats (message {signal_id})"
        return Refusal(reason=Reason.SIGNAL_DELETED, detail=detail)
    versions = await read_versions(deps, intent.chat_id, signal_id, after=head)
    as_of = None if placed else intent.message_date
    post = head if as_of is None else _as_posted(versions, as_of, head)
    if not post.signals:  # edited into a follow-up ("cancelled") or into chatter
        detail = f"the signal it repeats (message {signal_id}) is no longer a signal"
        return Refusal(reason=Reason.SIGNAL_CANCELLED, detail=detail)
    found = list(post.signals) if len(post.signals) == 1 else _named(command, post.signals)
    if len(found) != 1:
        detail = f"message {signal_id} holds {len(post.signals)} signals: which one is unclear"
        return Refusal(reason=Reason.REENTRY_MISMATCH, detail=detail)
    if _turned(versions, as_of):
        detail = (
            f"the channel turned the signal it repeats (message {signal_id}) to another side or "
            "symbol: a signal withdrawn so is not repeated (a flip never opens)"
        )
        return Refusal(reason=Reason.SIGNAL_CHANGED, detail=detail)
    return await _since(deps, intent, signal_id, post, found[0])


async def _since(
    deps: Deps, intent: Intent, signal_id: int, post: MessageRecord, signal: Signal
) -> Signal | Refusal:
    # What the chat said between the signal and the re-entry: a deleted later signal a bare
    # re-entry may have meant (a reply names its own), a cancel, the levels completing it.
    after = await later.posted_after(deps, intent.chat_id, signal_id)
    between = [r for r in after if r.message_id < intent.message_id]
    bare = intent.reply_to is None
    gone = [r.message_id for r in between if bare and r.deleted and history.is_signal(r)]
    if gone:
        detail = f"a later signal it may repeat (message {min(gone)}) was deleted"
        return Refusal(reason=Reason.SIGNAL_DELETED, detail=detail)
    cancel = reentry.cancelled(signal_id, signal, between)
    if cancel is not None:
        detail = f"the channel cancelled the signal it repeats (message {cancel})"
        return Refusal(reason=Reason.SIGNAL_CANCELLED, detail=detail)
    # A split signal: its levels are those its levels-only messages completed it with.
    return reentry.completed(post, signal, between, await _split_window(deps, intent))


def _as_posted(
    versions: Sequence[MessageRecord], as_of: datetime, head: MessageRecord
) -> MessageRecord:
    # The newest version made by `as_of` (versions come newest first): an edit made after the
    # re-entry was posted reaches its trade as it reaches any recorded one, not as its source.
    made = [v for v in versions if ids.version_made(v.version) <= as_of]
    return made[0] if made else head


async def _split_window(deps: Deps, intent: Intent) -> int:
    # The user's split_window_s; 0 (no completion) when they are unknown: the opening that
    # follows records why it opens nothing.
    context = await user_context(deps, intent, opening=False)
    return 0 if isinstance(context, TradeResult) else context[1].split_window_s


def _turned(versions: Sequence[MessageRecord], as_of: datetime | None) -> bool:
    # Whether any version (made by `as_of`) turned one of the message's signals to another side
    # or symbol.
    return any(
        history.turns(version)
        for version in versions
        if as_of is None or ids.version_made(version.version) <= as_of
    )


def _named(command: Command, signals: Sequence[Signal]) -> list[Signal]:
    # Of a message's several signals, the ones the re-entry's side and symbol name.
    return [
        signal
        for signal in signals
        if (command.side is None or signal.side is command.side)
        and (command.symbol is None or same_instrument(command.symbol, signal.symbol))
    ]


async def _refused(
    deps: Deps, intent: Intent, refusal: Refusal, now: datetime, *, retry: bool
) -> TradeResult:
    # A retry whose first attempt placed legs before the signal was deleted or cancelled: the
    # legs are on the account and kept (managed), never orphaned by the refusal.
    fills = tuple((await opening.existing(deps, intent)).values()) if retry else ()
    if not fills:
        return skipped(intent, refusal.reason, refusal.detail)
    await opening.keep_managed(deps, intent, now)
    return TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.PLACED,
        reason=refusal.reason,
        detail=f"{refusal.detail}; the legs an earlier attempt placed are kept",
        fills=fills,
    )


def _noted(result: TradeResult, signal_id: int) -> TradeResult:
    note = f"re-entry of the signal in message {signal_id}"
    return replace(result, notes=(note, *result.notes))
