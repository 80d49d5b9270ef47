"""What a follow-up is about: the signal it replies to or the latest before it, and its trades."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from signal_copier.core import history, ids
from signal_copier.core.fanout import intent_ids_for
from signal_copier.core.followups import Target
from signal_copier.core.model import Command, Intent, Scope
from signal_copier.core.records import TradeRecord
from signal_copier.core.reentry import is_reentry
from signal_copier.core.symbol_map import same_instrument
from signal_copier.services import repeats, targets
from signal_copier.services.deps import Deps
from signal_copier.services.operations import Live, is_open_trade, target_of
from signal_copier.services.recent import read_versions
from signal_copier.services.targets import Wait


@dataclass(frozen=True, slots=True, kw_only=True)
class About:
    """What a follow-up is about: one signal's message, or the latest signal before `anchor`."""

    signal: int | None  # the signal message a reply is about (with its re-entries' trades)
    anchor: int  # candidates are signals older than this message
    # A reply to a re-entry message (or down a reply chain through one): that re-entry's own
    # trades, never the signal it repeats.
    reentry: int | None = None


async def about_of(
    deps: Deps, intent: Intent, command: Command, *, final: bool
) -> About | Wait | str:
    """Return what a follow-up is about, a Wait for what comes before it, or why it is nothing."""
    about = await _about_of(deps, intent, command, final=final)
    if isinstance(about, About) and about.signal not in (None, intent.message_id):
        # A repost the user traded only as its earlier post: that post's trades.
        assert about.signal is not None
        about = replace(about, signal=await repeats.traded_post(deps, intent, about.signal))
    return about


async def _about_of(
    deps: Deps, intent: Intent, command: Command, *, final: bool
) -> About | Wait | str:
    about = About(signal=None, anchor=intent.message_id)
    if intent.reply_to is not None and command.scope is not Scope.ALL:
        found = await targets.reply_target(deps, intent, intent.reply_to, final=final)
        if isinstance(found, Wait):
            return found
        if isinstance(found, targets.Missing):
            return f"the message it replies to ({found.message_id}) never arrived"
        if found is None:
            return "it replies to a message that is not about a signal"
        reentry = await _reentry_replied(deps, intent, command, found)
        if reentry is not None:
            # Its trades are recorded when it is done for this user: wait for that (its own
            # post edited into a cancel waits for the versions before the edit only).
            below = intent.version if reentry == intent.message_id else None
            if not await targets.settled(deps, intent, reentry, below_version=below, final=final):
                return targets.wait_for(deps, intent, reentry, below_version=below)
            return About(signal=None, anchor=reentry, reentry=reentry)
        head = await deps.store.latest_message(intent.chat_id, found)
        signal = head is not None and history.is_signal(head)
        # A reply to a bare follow-up is about what that follow-up was about.
        about = (
            About(signal=found, anchor=intent.message_id)
            if signal
            else About(signal=None, anchor=found)
        )
    blocked = await targets.settle_before(deps, intent, intent.message_id, final=final)
    if isinstance(blocked, Wait):
        return blocked
    if not _depends_on_latest(about, command):
        return about
    if isinstance(blocked, targets.Missing):
        # "The latest signal" cannot be told while a message before it never arrived.
        return f"message {blocked.message_id} before this follow-up never arrived"
    # A bare follow-up is about the channel's latest signal: when the user did not copy that
    # one, it is nothing of theirs (never the latest trade the user happens to hold).
    latest = await targets.latest_signal_before(deps, intent, about.anchor)
    return about if latest is None else About(signal=latest, anchor=about.anchor)


async def _reentry_replied(deps: Deps, intent: Intent, command: Command, found: int) -> int | None:
    # The first re-entry message on the reply chain from the reply down to `found` (where
    # reply_target ended it, every message on the way arrived). A re-entry replying to one
    # repeats the signal, so it looks no further.
    if is_reentry(command) or intent.reply_to is None:
        return None
    current = intent.reply_to
    for _ in range(targets.MAX_STEPS):
        # Its own post (a re-entry edited into "Cancelled"): as it was before the edit.
        below = intent.version if current == intent.message_id else None
        head = await deps.store.latest_message(intent.chat_id, current, before=below)
        if head is None or history.is_signal(head):
            return None
        if is_reentry(head.command) or head.earlier_reentry:  # a re-entry, maybe edited since
            return current
        if current == found or head.reply_to is None or head.reply_to >= current:
            return None
        current = head.reply_to
    return None


def _depends_on_latest(about: About, command: Command) -> bool:
    # A bot's update naming its position is about that position, never the latest signal.
    latest = command.scope is Scope.REPLY and command.symbol is None
    return about.signal is None and latest


def select_targets(
    records: Sequence[TradeRecord], intent: Intent, command: Command, about: About
) -> list[Target]:
    """Return the executed signals of this chat that a command refers to."""
    mine = [r for r in records if is_open_trade(r) and r.intent.chat_id == intent.chat_id]
    if command.side is not None:
        mine = [r for r in mine if r.signal and r.signal.side is command.side]
    if command.symbol is not None and command.scope is not Scope.ALL:
        # A symbol named in the text narrows a reply to that symbol's signal of the post.
        named = command.symbol
        mine = [r for r in mine if r.signal and same_instrument(r.signal.symbol, named)]
    if command.position_id is not None:  # a bot's update: only the trade it posted as that id
        mine = [r for r in mine if r.signal and r.signal.position_id == command.position_id]
    anchor = about.anchor
    if about.reentry is not None:  # that re-entry's own trade only
        mine = [r for r in mine if r.intent.message_id == about.reentry]
    elif about.signal is not None:  # the signal's trades and its re-entries'
        mine = [r for r in mine if group_of(r) == about.signal]
        if about.signal != intent.message_id:  # the signal's own post edited into a command
            # is about all of them; a follow-up, about those posted before it (as any version)
            mine = [r for r in mine if r.intent.message_id < anchor]
    else:
        mine = [r for r in mine if r.intent.message_id < anchor]  # only older signals
        if command.scope is Scope.REPLY and command.symbol is None and mine:
            latest = max(group_of(r) for r in mine)  # the channel's latest signal
            mine = [r for r in mine if group_of(r) == latest]
    return [target_of(r) for r in mine]


def group_of(record: TradeRecord) -> int:
    """Return the signal message a trade belongs to (a re-entry's: the signal it repeats)."""
    found = ids.ref_message(record.signal_ref)
    return record.intent.message_id if found is None else found


async def candidates(
    deps: Deps, intent: Intent, about: About, live: Live | None
) -> list[TradeRecord]:
    """Return the trade records a follow-up may act on (a reply's signal's, or the live ones)."""
    if about.reentry is not None:  # filed under the signal it repeats: found by its own ids
        versions = await read_versions(deps, intent.chat_id, about.reentry)
        own = [ids.client_id(i) for v in versions for i in intent_ids_for(v, intent.user_id)]
        return await deps.store.trades_by_client(intent.user_id, own) if own else []
    if about.signal is not None:
        return await deps.store.trades(intent.user_id, ids.signal_ref(intent.chat_id, about.signal))
    assert live is not None  # a bare follow-up reads the whole account
    return await trades_of(deps, intent, live)


async def trades_of(deps: Deps, intent: Intent, live: Live) -> list[TradeRecord]:
    """Return the user's trade records behind the copier's live positions and orders."""
    positions, orders = live
    held = [p.client_id for p in positions] + [o.client_id for o in orders]
    clients = sorted(ids.copier_intents(held))
    return await deps.store.trades_by_client(intent.user_id, clients) if clients else []
