"""A result the channel reports replying to its signal: cancel the entries still waiting.

"TP1 hit ✅" under a buy limit that has not filled for this user means the move is over: a
later fill would enter a finished trade. Filled positions are left alone (the channel manages
them with its own follow-ups), and with nothing waiting the report records nothing: it is the
channel talking, not an instruction that could not be carried out.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from signal_copier.core.errors import Rejected
from signal_copier.core.model import Command, Intent, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.reconcile import with_found_done
from signal_copier.core.reports import REPORTED
from signal_copier.services import accounts, follow_up_risk, messages
from signal_copier.services.about import about_of, candidates, select_targets
from signal_copier.services.cancels import cancel
from signal_copier.services.context import user_context
from signal_copier.services.deps import Deps
from signal_copier.services.follow_up_plan import Held
from signal_copier.services.once import deadline
from signal_copier.services.operations import legs_of, specs_for
from signal_copier.services.records import skipped
from signal_copier.services.retried import CANCELLED_BEFORE, cancelled_before
from signal_copier.services.targets import Wait


async def apply_report(
    intent: Intent, command: Command, deps: Deps, now: datetime, retry: bool = False
) -> TradeResult | Wait | None:
    """Cancel the unfilled entries of the signal a result report replies to; None if none."""
    about = await about_of(deps, intent, command, final=now >= deadline(intent, deps))
    if isinstance(about, Wait):
        return about
    if isinstance(about, str) or about.signal is None:
        return None  # it replies to no signal: it is about none of the user's trades
    if await messages.deleted(deps, intent.chat_id, intent.message_id):
        return None  # taken back by the channel before it was acted on
    context = await user_context(deps, intent)
    if isinstance(context, TradeResult):
        return context
    records = await candidates(deps, intent, about, None)
    targets = select_targets(records, intent, command, about)
    if not targets:
        return None  # the user holds nothing of that signal: no broker call for a report
    try:
        account = await accounts.connect_account(deps, intent.user_id)
        positions, orders = await legs_of(account, targets)
        if not orders:
            opened = follow_up_risk.openings(records, targets)
            found = await cancelled_before(deps, intent, account, opened) if retry else []
            gone = skipped(intent, Reason.NOTHING_TO_CHANGE, "no entry of it was waiting")
            return with_found_done(gone, found, CANCELLED_BEFORE) if found else None
        specs = await specs_for(account, [*positions, *orders])
    except Rejected as e:
        return skipped(intent, e.reason, str(e))
    held = Held(targets, positions, orders, specs, [], records, retry)
    result = await cancel(intent, account, held, context[1])
    said = REPORTED.format(message=about.signal)
    return replace(result, detail=f"{said}; {result.detail}" if result.detail else said)
