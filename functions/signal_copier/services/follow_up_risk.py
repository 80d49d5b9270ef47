"""A follow-up that widens a risk-sized trade's stop keeps the risk the trade was sized for.

"SL 2630 TP1 2670" completing "GOLD BUY NOW" that opened at the user's default stop, or "SL
2630" with allow_looser_sl, moves the stop as an edit of the signal would (services/edit_risk):
positions are cut first to the volume the wider stop may risk (a whole leg when even the
minimum volume risks more), pending orders are placed again smaller, and a stop whose cut the
broker refuses stays where it is, noted. A follow-up that also closes ("close half, SL 2630")
cannot be judged against the volume its closes leave before they run: a stop it would widen
beyond what the trade may risk stays where it is, noted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from signal_copier.core.checked import Checked
from signal_copier.core.followups import Operation, Target
from signal_copier.core.market import SymbolSpec
from signal_copier.core.model import ChangeKind, Intent, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import RiskMode, TradeSettings
from signal_copier.core.trims import CUTS, stops_kept
from signal_copier.services import edit_risk
from signal_copier.services.deps import Deps
from signal_copier.services.operations import Live, is_open_trade
from signal_copier.services.resizes import Resent

LEVELS = frozenset({ChangeKind.SL, ChangeKind.TP, ChangeKind.ORDER})


def risk_sized(settings: TradeSettings) -> bool:
    """Return whether the user's trades are sized from the money their stop risks."""
    return settings.risk_mode is RiskMode.RISK_PERCENT


def sized_for(
    settings: TradeSettings,
    records: Sequence[TradeRecord],
    targets: Sequence[Target],
    specs: dict[str, SymbolSpec],
) -> edit_risk.Sized:
    """Return what the targeted trades were sized with: their openings, settings and specs."""
    opened = openings(records, targets)
    return edit_risk.Sized(
        settings=settings, opened=opened, previous=targets[0].signal, specs=specs
    )


async def kept(
    deps: Deps,
    intent: Intent,
    account: BrokerAccount,
    checked: Checked,
    trade: tuple[edit_risk.Sized, Live],
    closing: bool,
) -> TradeResult | Checked:
    """Send a follow-up that only moves levels, keeping a risk-sized trade to its risk.

    `trade`: what the targeted trades were sized with, and their positions and orders now. A
    follow-up that closes (`closing`, even on a retry left with only its stop to move) is not
    sent: its checked changes come back without the stops it may not widen, for the caller to
    send and record as any closing follow-up's.
    """
    sized, live = trade
    if not closing and all(op.kind in LEVELS for op in checked.operations):
        return await edit_risk.send(deps, intent, account, checked, sized, live)
    return wider_stops_kept(checked, sized, live)


def wider_stops_kept(checked: Checked, sized: edit_risk.Sized, live: Live) -> Checked:
    """Return `checked` without the stops a risk-sized trade could widen only with a cut, noted.

    For a follow-up that also closes: its closes run as asked, its other levels still go.
    """
    levels = [op for op in checked.operations if op.kind in LEVELS]
    _, trimmed, resizes = edit_risk.risk_kept(levels, sized, live)
    if not (trimmed or resizes):
        return checked
    resized = {resize.order.id for resize in resizes}
    ops = [op for op in checked.operations if op.target not in resized]
    kept, notes = stops_kept(ops, set(trimmed), live[0])
    notes += [
        f"pending order {order}: its levels were not changed, as its wider stop would risk more "
        "than it was sized for and a follow-up that closes does not place it again smaller"
        for order in sorted(resized)
    ]
    return replace(checked, operations=tuple(kept), notes=(*checked.notes, *notes))


def held_cuts(
    held: Sequence[Operation], sized: edit_risk.Sized, live: Live
) -> tuple[list[Operation], list[str]]:
    """Return the cuts stops held back by a later edit would have made, and their notes.

    In the order posted such a stop was set, and its trade cut, before the edit tightened it;
    a cut is never undone. Judged from the opening, as every cut is: whichever of the stop and
    the edit comes first, the trade ends at the smaller volume.
    """
    planned, trimmed, _ = edit_risk.risk_kept(held, sized, live)
    cuts = [op for op in planned if op.kind in CUTS]
    notes = [
        f"{trimmed[op.target]} (the stop this message set before the signal's later edit: left "
        "as the edit set it, while the cut it made in the order posted is kept)"
        for op in cuts
        if op.target in trimmed
    ]
    return cuts, notes


async def recovered(
    deps: Deps,
    intent: Intent,
    account: BrokerAccount,
    opened: Sequence[TradeRecord],
    at: tuple[TradeSettings, datetime],
) -> Resent:
    """Finish the resizes of these openings that an earlier attempt left half done."""
    return await edit_risk.recover(deps, intent, account, list(opened), at)


def openings(records: Sequence[TradeRecord], targets: Sequence[Target]) -> list[TradeRecord]:
    """Return the records of the openings that placed the targeted trades."""
    wanted = {target.client_id for target in targets}
    return [r for r in records if is_open_trade(r) and r.intent.client_id in wanted]
