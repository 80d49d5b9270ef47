"""Edited follow-ups: run an edit of a follow-up again for one user, or record why not.

The rule is in core/reruns.py. Before judging, an edit waits until its message's earlier
versions have finished for the user (as a signal's edit does): whatever order the intents
arrive in, the edit is judged after what the versions before it did.
"""

from __future__ import annotations

from datetime import datetime

from signal_copier.core import ids, reruns
from signal_copier.core.model import Action, ChangeKind, Command, Intent, IntentKind, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.services import targets
from signal_copier.services.deps import Deps
from signal_copier.services.once import deadline
from signal_copier.services.recent import read_versions
from signal_copier.services.records import skipped
from signal_copier.services.targets import Wait

_CLOSES = (ChangeKind.CLOSE, ChangeKind.PARTIAL_CLOSE)


async def not_again(
    intent: Intent, command: Command, deps: Deps, now: datetime
) -> TradeResult | Wait | Command | None:
    """Return why an edited follow-up does not run for its user (or a Wait); None: run it.

    A Command returned is the part of it that runs: a partial close's stop change, when an
    earlier version already closed.
    """
    if intent.kind is not IntentKind.COMMAND or intent.version == 0:
        return None
    key = ids.message_key(intent.chat_id, intent.message_id, intent.version)
    own = await deps.store.message(key)
    if own is None and command.action is Action.REENTER:
        # Its history is gone (expired): never risk opening a second trade.
        return skipped(intent, Reason.FOLLOW_UP_EDITED, reruns.REENTRY)
    if own is None or not own.earlier_command:
        return None  # a first command (a signal edited into one, or an edit seen alone)
    final = now >= deadline(intent, deps)
    message, version = intent.message_id, intent.version
    if not await targets.settled(deps, intent, message, below_version=version, final=final):
        return targets.wait_for(deps, intent, message, below_version=version)
    why = reruns.refusal(command, own.earlier_commands)
    if why is None and reruns.is_relative(command) and await _closed_before(deps, intent):
        rest = reruns.stop_part(command)
        if rest is not None:
            return rest
        why = reruns.RELATIVE_AFTER_CLOSE
    return skipped(intent, Reason.FOLLOW_UP_EDITED, why) if why is not None else None


async def _closed_before(deps: Deps, intent: Intent) -> bool:
    # Whether an earlier version of the follow-up closed anything for this user (its record).
    earlier = await read_versions(deps, intent.chat_id, intent.message_id, below=intent.version)
    for version in earlier:
        own_id = ids.intent_id(version.chat_id, version.message_id, version.version, intent.user_id)
        record = await deps.store.trade(intent.user_id, own_id)
        if record is None or record.intent.kind is not IntentKind.COMMAND:
            continue  # a version that was a signal opened its trades: that is no close
        if any(c.kind in _CLOSES for c in record.result.changes):
            return True
    return False
