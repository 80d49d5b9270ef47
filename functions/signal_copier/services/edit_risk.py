"""An edited risk-sized trade keeps the risk it was sized for: trims and smaller re-placements.

Each leg is judged from its opening — the volume it was placed with and the stop the opening
priced for it (the signal's, from its pips, or the user's default) — so a redelivered edit
does nothing more, and a second widening is judged against the first stop, not the one before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from signal_copier.core.checked import Checked, with_refusals
from signal_copier.core.followups import Operation
from signal_copier.core.guards import Skip, check_killed
from signal_copier.core.management import entry_expired
from signal_copier.core.market import SymbolSpec
from signal_copier.core.model import Intent, IntentKind, Signal, Status, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.protection import stop_loss
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import RiskMode, TradeSettings
from signal_copier.core.trims import CUTS, Resize, order_resizes, risk_trims, stops_kept
from signal_copier.services import opening_checks
from signal_copier.services.deps import Deps
from signal_copier.services.operations import Live, combined, run_operations
from signal_copier.services.records import of_post, signal_ref
from signal_copier.services.resizes import (
    Marks,
    Resent,
    abandon,
    complete,
    owners_of,
    resend,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sized:
    """What an edited trade was sized with: the user's settings, its openings, the specs."""

    settings: TradeSettings
    opened: list[TradeRecord]
    previous: Signal
    specs: Mapping[str, SymbolSpec]


async def send(
    deps: Deps,
    intent: Intent,
    account: BrokerAccount,
    checked: Checked,
    sized: Sized,
    live: Live,
) -> TradeResult:
    """Send an edit's checked changes, keeping a risk-sized trade to the risk it was sized for.

    Positions whose stop moves further away are cut first; pending orders that must shrink
    are cancelled and placed again smaller after the other changes.
    """
    planned, trimmed, resizes = risk_kept(checked.operations, sized, live)
    cuts = [op for op in planned if op.kind in CUTS]
    result = await run_operations(account, cuts, intent)
    refused = {op.target for op in cuts} - {change.target for change in result.changes}
    rest, kept = stops_kept([op for op in planned if op.kind not in CUTS], refused, live[0])
    result = with_refusals(combined(result, await run_operations(account, rest, intent)), checked)
    notes = [note for position, note in trimmed.items() if position not in refused] + kept
    result = replace(result, notes=(*result.notes, *notes)) if notes else result
    if resizes:
        marks = _marks(deps, intent, sized.opened, (await account.account_info()).account_id)
        resent = await resend(account, resizes, lambda: _not_killed(deps, intent), marks)
        result = with_resent(intent, result, resent)
    return result


async def recover(
    deps: Deps,
    intent: Intent,
    account: BrokerAccount,
    opened: list[TradeRecord],
    at: tuple[TradeSettings, datetime],
) -> Resent:
    """Finish the resizes of these openings that an earlier attempt left half done.

    `at`: the user's settings and the time now (an entry past its expiry stays cancelled).
    """
    if not any(record.resizing for record in opened):
        return [], [], []
    settings, now = at
    minutes = settings.pending_expiry_minutes
    marks = _marks(deps, intent, opened, (await account.account_info()).account_id)
    expired = [
        r.intent.id
        for r in opened
        if entry_expired(r.recorded_at or r.intent.received, now, minutes)
    ]
    return await complete(account, opened, lambda: _not_killed(deps, intent), marks, expired)


async def abandoned(deps: Deps, intent: Intent) -> list[str]:
    """Forget the resizes an edit or a follow-up that gave up left on its signal; say which."""
    filed = await deps.store.trades(intent.user_id, signal_ref(intent))
    # An edit is of one signal of its post (never its re-entries'); a follow-up replying to a
    # post is about all of them, its re-entries' too.
    edit = intent.kind is IntentKind.EDIT
    if edit:
        filed = of_post(filed, intent)
    return await abandon(deps.store, [r for r in filed if r.intent.part == intent.part or not edit])


def _marks(deps: Deps, intent: Intent, opened: list[TradeRecord], account_id: str) -> Marks:
    return Marks(
        store=deps.store,
        user_id=intent.user_id,
        owners=owners_of(opened),
        account_id=account_id,
        since=intent.received,
    )


def risk_kept(
    ops: Sequence[Operation], sized: Sized, live: Live
) -> tuple[list[Operation], dict[str, str], list[Resize]]:
    """Return `ops` with the cuts a risk-sized trade needs, their notes, and orders to resize.

    Sized by risk: a wider stop, less size — positions cut, pending orders sent again smaller.
    """
    if sized.settings.risk_mode is not RiskMode.RISK_PERCENT:
        return list(ops), {}, []
    (positions, orders), specs = live, sized.specs
    legs = _sized(sized.settings, sized.opened, sized.previous, specs)
    stops = {cid: (volume, sl) for cid, (volume, sl, _) in legs.items()}
    planned, trimmed = risk_trims(ops, positions, specs, stops)
    planned, resizes = order_resizes(planned, orders, specs, legs) if orders else (planned, [])
    return planned, trimmed, resizes


def _sized(
    settings: TradeSettings,
    opened: list[TradeRecord],
    previous: Signal,
    specs: Mapping[str, SymbolSpec],
) -> dict[str, tuple[Decimal, Decimal | None, Decimal | None]]:
    # Each leg's opening volume, the stop it was sized for and its entry. That stop is the one
    # the opening placed the leg with (kept on its fill) — never one an earlier edit set: against
    # that, a second widening would pass as no wider than the first; nor one priced from today's
    # settings (a default stop changed since would misjudge it). A fill recorded without it
    # falls back on the opening signal's, in pips or by default, priced from the leg's entry.
    sized: dict[str, tuple[Decimal, Decimal | None, Decimal | None]] = {}
    for record in opened:
        signal, spec = record.intent.signal or previous, specs.get(record.result.symbol)
        for fill in record.result.fills:
            stop: Decimal | Skip | None = fill.sl if fill.sl is not None else signal.sl
            if fill.sl is None and spec is not None and fill.price is not None:
                stop = stop_loss(signal, settings, spec, fill.price)
            priced = stop if isinstance(stop, Decimal) else None
            sized[fill.client_id] = (fill.volume, priced, fill.price)
    return sized


async def _not_killed(deps: Deps, intent: Intent) -> bool:
    user = await deps.store.get_user(intent.user_id)
    return user is not None and check_killed(user.killed_at, opening_checks.arrived(intent)) is None


def with_resent(intent: Intent, result: TradeResult, resent: Resent) -> TradeResult:
    """Return `result` followed by the orders sent again (and their notes and refusals)."""
    changes, notes, refusals = resent
    if not (changes or refusals):  # notes alone (a leg left cancelled) refuse nothing
        return replace(result, notes=(*result.notes, *notes)) if notes else result
    then = TradeResult(
        intent_id=intent.id,
        user_id=intent.user_id,
        status=Status.APPLIED if changes else Status.REJECTED,
        reason=Reason.NONE if changes else Reason.BROKER_REJECTED,
        detail="; ".join(refusals),
        changes=tuple(changes),
    )
    both = combined(result, then)
    return replace(both, notes=(*result.notes, *notes))
