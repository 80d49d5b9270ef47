"""Follow-ups and edits: act on the positions and orders a signal opened, once per user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from signal_copier.core import history, ids, reconcile
from signal_copier.core.closing import nothing_closed
from signal_copier.core.errors import Rejected
from signal_copier.core.followups import Operation, Target, plan_command
from signal_copier.core.levels import Checked, Policy, with_refusals
from signal_copier.core.market import Deal, PendingOrder, Position, SymbolSpec
from signal_copier.core.model import (
    Action,
    Change,
    ChangeKind,
    Command,
    Intent,
    Scope,
    Status,
    TradeResult,
)
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.core.symbol_map import same_instrument
from signal_copier.services import accounts, targets
from signal_copier.services.deps import Deps
from signal_copier.services.levels import check_levels
from signal_copier.services.once import deadline
from signal_copier.services.opening import user_context
from signal_copier.services.operations import (
    Live,
    combined,
    is_open_trade,
    legs_of,
    live_on,
    run_operations,
    specs_for,
    target_of,
)
from signal_copier.services.records import skipped
from signal_copier.services.targets import Wait


async def apply_command(
    intent: Intent, command: Command, deps: Deps, now: datetime, retry: bool = False
) -> TradeResult | Wait | None:
    """Apply a follow-up to the trades it refers to (reply, symbol, or the whole channel).

    It acts only once every message posted before it has arrived and finished for this user
    (else it waits), and only on signals older than itself.
    """
    final = now >= deadline(intent, deps)
    about = await _about(deps, intent, command, final=final)
    if isinstance(about, Wait):
        return about
    if isinstance(about, str):
        return skipped(intent, Reason.NO_POSITION, about)
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    try:
        account = await accounts.connect_account(deps, intent.user_id)
        # A reply names its signal; a bare follow-up is about trades live on the account.
        live = None if about.signal is not None else await live_on(account)
        records = await _candidates(deps, intent, about, live)
        targets = select_targets(records, intent, command, about)
        if not targets:
            known = records if live is not None else None  # the same read, made above
            return await _nothing_held(deps, intent, account, known)
        # Only the targeted signals' own positions and orders matter from here on: the
        # account may hold thousands of others.
        positions, orders = await legs_of(account, targets, live)
        closes = await _closed_since(account, intent, command, targets, positions) if retry else []
        if not (positions or orders or closes):  # stopped out, taken profit or closed by hand
            return skipped(intent, Reason.NO_POSITION, _GONE)
        positions = reconcile.before_closes(positions, closes, targets)
        specs = await specs_for(account, [*positions, *orders])
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    return await _act(
        intent, command, account, _Held(targets, positions, orders, specs, closes), context[1]
    )


_GONE = "the trade it is about is no longer open (its SL or TP was hit, or it was closed)"


@dataclass(frozen=True, slots=True)
class _Held:
    """What a command acts on: its targets' positions and orders, and closes already made."""

    targets: list[Target]
    positions: list[Position]
    orders: list[PendingOrder]
    specs: dict[str, SymbolSpec]
    closes: list[Deal]


async def _act(
    intent: Intent, command: Command, account: BrokerAccount, held: _Held, settings: TradeSettings
) -> TradeResult:
    targets, positions, orders = held.targets, held.positions, held.orders
    specs, closes = held.specs, held.closes
    ops = plan_command(command, targets, positions, orders, specs, settings.breakeven_buffer_pips)
    if not ops and command.action is Action.CLOSE and positions:  # too small to take a part of
        fraction = command.fraction if command.fraction is not None else Decimal(1)
        return skipped(intent, Reason.VOLUME_TOO_SMALL, nothing_closed(positions, fraction))
    # On a retry the command is planned on the positions as they were before its own closes,
    # and positions it already closed from are not closed from again; the SL step of "close
    # half, SL to BE" still runs for them.
    done = {deal.position_id for deal in closes}
    closing = (ChangeKind.CLOSE, ChangeKind.PARTIAL_CLOSE)
    ops = [op for op in ops if not (op.kind in closing and op.target in done)]
    policy = Policy(allow_looser_sl=settings.allow_looser_sl)
    checked = await check_levels(account, ops, positions, orders, specs, policy)
    sent = await run_operations(account, checked.operations, intent)
    result = combined(_closed_before(intent, closes), sent)
    if command.action is Action.CLOSE and (command.fraction is None or command.fraction >= 1):
        result = await _close_filled(account, intent, targets, positions, checked, result)
    return with_refusals(result, checked)


def _closed_before(intent: Intent, closes: Sequence[Deal]) -> TradeResult:
    # What an earlier attempt of this follow-up closed (its own tagged deals): the record says
    # so, never "nothing to change" after a close whose reply was lost.
    tag = ids.close_tag(intent.client_id)
    changes = tuple(
        Change(kind=ChangeKind.PARTIAL_CLOSE, target=deal.position_id, volume=deal.volume)
        for deal in closes
        if deal.client_id == tag
    )
    status = Status.APPLIED if changes else Status.SKIPPED
    return TradeResult(intent_id=intent.id, user_id=intent.user_id, status=status, changes=changes)


async def _close_filled(
    account: BrokerAccount,
    intent: Intent,
    targets: Sequence[Target],
    known: Sequence[Position],
    checked: Checked,
    result: TradeResult,
) -> TradeResult:
    # An entry that filled before it could be cancelled is a position the plan never saw: a
    # close of everything closes it too.
    cancelled = {c.target for c in result.changes if c.kind is ChangeKind.CANCEL}
    sent = [op for op in checked.operations if op.kind is ChangeKind.CANCEL]
    if all(op.target in cancelled for op in sent):
        return result
    seen = {position.id for position in known}
    filled = [p for p in (await legs_of(account, targets))[0] if p.id not in seen]
    ops = [Operation(kind=ChangeKind.CLOSE, target=position.id) for position in filled]
    return combined(result, await run_operations(account, ops, intent)) if ops else result


async def _nothing_held(
    deps: Deps, intent: Intent, account: BrokerAccount, read: list[TradeRecord] | None
) -> TradeResult | None:
    # Someone who unfollowed the chat: record nothing (the message is not about their trades),
    # and once they hold none of the chat's trades, stop sending them its follow-ups. `read`:
    # the trades of the live positions and orders, when the caller has read them already.
    if await deps.store.subscription(intent.user_id, intent.chat_id) is not None:
        return skipped(intent, Reason.NO_POSITION, "no copied trade matches this follow-up")
    held = read if read is not None else await _trades_of(deps, intent, await live_on(account))
    if not any(is_open_trade(r) and r.intent.chat_id == intent.chat_id for r in held):
        await deps.store.remove_holder(intent.chat_id, intent.user_id)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class About:
    """What a follow-up is about: one signal's message, or the latest signal before `anchor`."""

    signal: int | None  # the signal message a reply is about
    anchor: int  # candidates are signals older than this message


async def _about(
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
    if about.signal is not None:
        mine = [r for r in mine if r.intent.message_id == about.signal]
    else:
        mine = [r for r in mine if r.intent.message_id < about.anchor]  # only older signals
        if command.scope is Scope.REPLY and command.symbol is None and mine:
            latest = max(r.intent.message_id for r in mine)  # the channel's latest signal
            mine = [r for r in mine if r.intent.message_id == latest]
    return [target_of(r) for r in mine]


async def _closed_since(
    account: BrokerAccount,
    intent: Intent,
    command: Command,
    targets: Sequence[Target],
    positions: Sequence[Position],
) -> list[Deal]:
    if command.action is not Action.CLOSE:
        return []
    deals = await account.history(reconcile.history_start(intent.received))
    return reconcile.closes_of(deals, targets, positions, ids.close_tag(intent.client_id))


async def _candidates(
    deps: Deps, intent: Intent, about: About, live: Live | None
) -> list[TradeRecord]:
    # A reply names its signal; otherwise only trades with live positions or orders can matter.
    if about.signal is not None:
        return await deps.store.trades(intent.user_id, ids.signal_ref(intent.chat_id, about.signal))
    assert live is not None  # a bare follow-up reads the whole account
    return await _trades_of(deps, intent, live)


async def _trades_of(deps: Deps, intent: Intent, live: Live) -> list[TradeRecord]:
    # The user's trade records behind the copier's live positions and orders.
    positions, orders = live
    held = [p.client_id for p in positions] + [o.client_id for o in orders]
    clients = sorted(ids.copier_intents(held))
    return await deps.store.trades_by_client(intent.user_id, clients) if clients else []
