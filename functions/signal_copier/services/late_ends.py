"""What ends a late opening's signal while it opens: a deletion, a cancel, a flip or a close.

None of them waits for a late opening (it is no version of any message): the late opening looks
for them before it opens, after it placed and once its record is stored.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core import ids
from signal_copier.core.deletion import withdrawal
from signal_copier.core.edit_plan import turned
from signal_copier.core.model import Action, Intent, Signal, TradeResult
from signal_copier.core.precedence import closed_by, ended_by_edit
from signal_copier.core.reasons import Reason
from signal_copier.core.records import MessageRecord
from signal_copier.core.settings import OnSignalDeleted
from signal_copier.services import accounts, later
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.placing import undo_fills
from signal_copier.services.recent import read_versions


async def taken_back(
    deps: Deps, late: Intent, since: int, *, as_of: datetime | None = None
) -> tuple[Reason, str] | None:
    """Return why the signal of a late opening is out of the channel's book, or None.

    With `as_of` (when its levels were posted), a flip made after it does not count: the late
    opening opens as in the order posted, and its flip's take-back rule applies once placed.
    """
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
    now = _reads(head).get(late.part) if head else None
    if now is not None and turned(late.signal, now):
        was = now if as_of is None or head is None else await _as_of(deps, late, head, as_of)
        if turned(late.signal, was or now):
            detail = f"the channel turned the signal (message {late.message_id}) into another"
            return Reason.SIGNAL_CHANGED, detail
    after = await later.posted_after(deps, late.chat_id, late.message_id)
    closer = closed_by(late.message_id, late.signal, after)
    if closer is not None:
        return Reason.SIGNAL_CLOSED, f"the channel closed this signal (message {closer})"
    return None


async def unturned(deps: Deps, base: Intent, head: MessageRecord, as_of: datetime) -> Signal | None:
    """Return `base`'s signal as last written, or as it stood at `as_of` if turned since.

    Levels posted before the channel flipped their signal complete the signal they were
    written for, never the one it became (whose side their stop may not even fit).
    """
    now = _reads(head).get(base.part)
    if now is None:
        return None
    was = await _as_of(deps, base, head, as_of)
    return was if was is not None and turned(was, now) else now


async def _as_of(deps: Deps, base: Intent, head: MessageRecord, as_of: datetime) -> Signal | None:
    # The newest version made by `as_of` (an original's is made at the epoch).
    versions = await read_versions(deps, base.chat_id, base.message_id, after=head)
    made = [v for v in versions if ids.version_made(v.version) <= as_of]
    return _reads(made[0]).get(base.part) if made else None


def _reads(version: MessageRecord) -> dict[int, Signal]:
    return dict(zip(version.signal_parts, version.signals, strict=True))


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
    if any(n.startswith(_TAKEN) for n in result.notes):
        return result  # taken back already, as the late opening checks again once recorded
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
    note = f"{_TAKEN}: {detail} while it was being placed"
    if kept:
        note += f" (kept {kept} filled position(s), as on_signal_deleted: {setting} keeps them)"
    return replace(result, changes=(*result.changes, *changes), notes=(*result.notes, note))


_TAKEN = "taken back at once"


def _taken(pending: bool, action: OnSignalDeleted) -> bool:
    if action is OnSignalDeleted.IGNORE:
        return False
    return pending or action is OnSignalDeleted.CLOSE
