"""What a follow-up is about: the signal it replies to or the latest before it, and its trades."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from signal_copier.core import history, ids
from signal_copier.core.followups import Target
from signal_copier.core.model import Command, Intent, Scope
from signal_copier.core.records import TradeRecord
from signal_copier.core.symbol_map import same_instrument
from signal_copier.services import targets
from signal_copier.services.deps import Deps
from signal_copier.services.operations import Live, is_open_trade, target_of
from signal_copier.services.targets import Wait


@dataclass(frozen=True, slots=True, kw_only=True)
class About:
    """What a follow-up is about: one signal's message, or the latest signal before `anchor`."""

    signal: int | None  # the signal message a reply is about (with its re-entries' trades)
    anchor: int  # candidates are signals older than this message


async def about_of(
    deps: Deps, intent: Intent, command: Command, *, final: bool
) -> About | Wait | str:
    """Return what a follow-up is about, a Wait for what comes before it, or why it is nothing."""
    about = About(signal=None, anchor=intent.message_id)
    if intent.reply_to is not None and command.scope is not Scope.ALL:
        found = await targets.reply_target(deps, intent, intent.reply_to, final=final)
        if isinstance(found, Wait):
            return found
        if isinstance(found, targets.Missing):
            return f"the message it replies to ({found.message_id}) never arrived"
        if found is None:
            return "it replies to a message that is not about a signal"
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
    if about.signal is not None:  # the signal's trades and its re-entries'
        mine = [r for r in mine if group_of(r) == about.signal]
    else:
        mine = [r for r in mine if r.intent.message_id < about.anchor]  # only older signals
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
