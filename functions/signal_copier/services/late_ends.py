"""What ends a late opening's signal while it opens: a deletion, a cancel, a flip or a close.

None of them waits for a late opening (it is no version of any message): the late opening looks
for them before it opens, after it placed and once its record is stored.
"""

from __future__ import annotations

from dataclasses import replace

from signal_copier.core.deletion import withdrawal
from signal_copier.core.edit_plan import turned
from signal_copier.core.model import Action, Intent, TradeResult
from signal_copier.core.precedence import closed_by, ended_by_edit
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import OnSignalDeleted
from signal_copier.services import accounts, later
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.placing import undo_fills


async def taken_back(deps: Deps, late: Intent, since: int) -> tuple[Reason, str] | None:
    """Return why the signal of a late opening is out of the channel's book, or None."""
    # The channel deleted the signal, edited it into a cancel or a close, or closed it by a
    # follow-up (whichever of them arrived first): never open what it is out of.
    head = await deps.store.latest_message(late.chat_id, late.message_id)
    if head is not None and head.deleted:
        return Reason.SIGNAL_DELETED, f"the channel deleted the signal (message {late.message_id})"
    if head is not None and ended_by_edit(head, since):
        detail = f"the channel edited the signal (message {late.message_id}) into its end"
        cancelled = head.command is not None and head.command.action is Action.CANCEL
        return (Reason.SIGNAL_CANCELLED if cancelled else Reason.SIGNAL_CLOSED), detail
    assert late.signal is not None  # built with its signal
    now_reads = dict(zip(head.signal_parts, head.signals, strict=True)) if head else {}
    if late.part in now_reads and turned(late.signal, now_reads[late.part]):
        detail = f"the channel turned the signal (message {late.message_id}) into another"
        return Reason.SIGNAL_CHANGED, detail
    after = await later.posted_after(deps, late.chat_id, late.message_id)
    closer = closed_by(late.message_id, late.signal, after)
    if closer is not None:
        return Reason.SIGNAL_CLOSED, f"the channel closed this signal (message {closer})"
    return None


async def undone_if_taken_back(
    deps: Deps, late: Intent, since: int, result: TradeResult
) -> TradeResult:
    """Return a late opening's result with its legs taken back if its signal ended meanwhile."""
    # The signal's deletion or close may have been handled while its legs were on their way,
    # finding nothing to take back (it does not wait for a late opening): take them back here.
    if not result.fills:
        return result
    gone = await taken_back(deps, late, since)
    if gone is None:
        return result
    return await taken_back_at_once(deps, late, result, gone)


async def taken_back_at_once(
    deps: Deps, intent: Intent, result: TradeResult, why: tuple[Reason, str]
) -> TradeResult:
    """Take back the legs just placed for a signal that ended meanwhile, as its end would.

    As when the end is handled after the legs are recorded: unfilled orders go; filled positions
    go only where the user's on_signal_deleted closes them (a close by the channel closes them).
    """
    reason, detail = why
    context = await user_context(deps, intent)
    # A user gone (unknown settings): nothing of theirs should stay open from it.
    setting = (
        OnSignalDeleted.CLOSE if isinstance(context, TradeResult) else context[1].on_signal_deleted
    )
    action = setting if reason is Reason.SIGNAL_DELETED else withdrawal(setting)
    if reason is Reason.SIGNAL_CLOSED:  # the channel closed it: its positions go too
        action = OnSignalDeleted.CLOSE
    fills = [f for f in result.fills if _taken(f.pending, action)]
    account = await accounts.connect_account(deps, intent.user_id)
    changes = await undo_fills(account, fills)
    kept = len(result.fills) - len(fills)
    note = f"taken back at once: {detail} while it was being placed"
    if kept:
        note += f" (kept {kept} filled position(s), as on_signal_deleted: {setting} keeps them)"
    return replace(result, changes=(*result.changes, *changes), notes=(*result.notes, note))


def _taken(pending: bool, action: OnSignalDeleted) -> bool:
    if action is OnSignalDeleted.IGNORE:
        return False
    return pending or action is OnSignalDeleted.CLOSE
