"""What a follow-up means for the trades it is about: the operations, planned once per attempt."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core.closing import nothing_closed
from signal_copier.core.followups import Operation, Target, plan_command
from signal_copier.core.market import Deal, PendingOrder, Position, SymbolSpec
from signal_copier.core.model import Action, ChangeKind, Command, Intent, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import TradeSettings
from signal_copier.services.completion import completing
from signal_copier.services.deps import Deps
from signal_copier.services.overtaken import edits_kept
from signal_copier.services.records import skipped


@dataclass(frozen=True, slots=True)
class Held:
    """What a command acts on: its targets' positions and orders, and closes already made."""

    targets: list[Target]
    positions: list[Position]
    orders: list[PendingOrder]
    specs: dict[str, SymbolSpec]
    closes: list[Deal]
    records: list[TradeRecord]  # the trade records the targets were chosen from
    retry: bool = False  # an earlier attempt may have acted (and been cut short)


@dataclass(frozen=True, slots=True)
class Plan:
    """A follow-up's operations, the signals they are for, notes, and stops a later edit held."""

    ops: list[Operation]
    targets: list[Target]
    notes: tuple[str, ...]
    held_stops: list[Operation]


async def planned(
    deps: Deps,
    intent: Intent,
    command: Command,
    account: BrokerAccount,
    held: Held,
    settings: TradeSettings,
) -> Plan | TradeResult:
    """Return the operations a follow-up means, the signals they are for and notes, or why none."""
    targets, positions, orders = held.targets, held.positions, held.orders
    notes: tuple[str, ...] = ()
    if command.levels_only:  # "SL 2640 TP1 2660" after its signal: in time, on the right side
        held_now = (targets, positions, orders)
        completed = await completing(intent, command, account, held.records, held_now, settings)
        if isinstance(completed, TradeResult):
            return completed
        command, targets, notes = completed
    buffer = settings.breakeven_buffer_pips
    ops = plan_command(command, targets, positions, orders, held.specs, buffer)
    if not ops and command.action is Action.CLOSE and positions:  # too small to take a part of
        fraction = command.fraction if command.fraction is not None else Decimal(1)
        return skipped(intent, Reason.VOLUME_TOO_SMALL, nothing_closed(positions, fraction))
    # On a retry the command is planned on the positions as they were before its own closes,
    # and positions it already closed from are not closed from again; the SL step of "close
    # half, SL to BE" still runs for them.
    done = {deal.position_id for deal in held.closes}
    closing = (ChangeKind.CLOSE, ChangeKind.PARTIAL_CLOSE)
    ops = [op for op in ops if not (op.kind in closing and op.target in done)]
    chosen = (held.records, targets)
    looser = settings.allow_looser_sl
    ops, overtaken, held_stops = await edits_kept(
        deps, intent, ops, chosen, (positions, orders), looser
    )
    return Plan(ops=ops, targets=targets, notes=(*notes, *overtaken), held_stops=held_stops)
