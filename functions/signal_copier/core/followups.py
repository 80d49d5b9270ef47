"""Follow-ups and edits → operations on the positions and orders one signal opened.

The copier finds its own positions by clientId (`<intent clientId>.<leg>`), so a user's manual
trades are never touched and a pending order that filled is still found.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from signal_copier.core.closing import close_plan
from signal_copier.core.market import PendingOrder, Position, SymbolSpec
from signal_copier.core.model import Action, ChangeKind, Command, Signal, SlAnchor
from signal_copier.core.protection import in_prices
from signal_copier.core.stops import round_price

Held = TypeVar("Held", Position, PendingOrder)


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """An executed signal: its orders' clientId prefix and the signal as executed."""

    client_id: str
    signal: Signal
    legs: Mapping[str, str] = field(default_factory=dict)  # position id → leg clientId, as placed
    opened: Decimal = Decimal(0)  # the volume its legs opened at market, as placed
    # its pending legs' volumes by clientId, as placed: opened only once they filled
    pending: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Operation:
    """One broker call: close (part of) a position, set its SL/TP, change or cancel an order."""

    kind: ChangeKind
    target: str
    volume: Decimal | None = None
    sl: Decimal | None = None
    tp: Decimal | None = None
    price: Decimal | None = None


def owned(items: Sequence[Held], client_id: str) -> list[Held]:
    """Return the positions (or pending orders) that one intent opened."""
    return [item for item in items if item.client_id.startswith(f"{client_id}.")]


def of_trades(items: Sequence[Held], client_ids: Collection[str]) -> list[Held]:
    """Return the positions (or pending orders) that these intents opened, in their order."""
    prefixes = tuple(f"{client_id}." for client_id in client_ids)
    return [item for item in items if item.client_id.startswith(prefixes)]


def leg_of(client_id: str) -> int:
    """Return the leg (TP index) encoded at the end of a clientId."""
    _, _, leg = client_id.rpartition(".")
    return int(leg) if leg.isdigit() else 0


def plan_command(
    command: Command,
    targets: Sequence[Target],
    positions: Sequence[Position],
    orders: Sequence[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    buffer_pips: Decimal,
) -> list[Operation]:
    """Return the operations a follow-up command means for every targeted signal."""
    ops: list[Operation] = []
    for target in targets:
        mine, pending = owned(positions, target.client_id), owned(orders, target.client_id)
        if command.action is Action.CANCEL:
            ops += [Operation(kind=ChangeKind.CANCEL, target=o.id) for o in pending]
        elif command.action is Action.CLOSE:
            ops += _close(command, target, mine, pending, specs, buffer_pips)
        else:
            ops += modify(command, target, mine, pending, specs, buffer_pips)
    return ops


def _close(
    command: Command,
    target: Target,
    mine: list[Position],
    pending: list[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    buffer_pips: Decimal,
) -> list[Operation]:
    legs = sorted(mine, key=lambda position: leg_of(position.client_id))
    fraction, whole = close_share(command, target, legs)
    volumes = close_plan(legs, fraction, specs)
    ops: list[Operation] = []
    if whole:  # first: an entry left waiting could fill into a position meanwhile
        ops += [Operation(kind=ChangeKind.CANCEL, target=o.id) for o in pending]
    survivors: list[Position] = []
    for position in legs:
        volume = volumes[position.id]
        if volume >= position.volume:
            ops.append(Operation(kind=ChangeKind.CLOSE, target=position.id))
            continue
        if volume > 0:
            ops.append(Operation(kind=ChangeKind.PARTIAL_CLOSE, target=position.id, volume=volume))
        survivors.append(position)
    if command.then_sl_anchor is not None or command.sl is not None:
        then = Command(
            action=Action.MODIFY,
            sl=command.sl,
            sl_anchor=command.then_sl_anchor,
            sl_offset_pips=command.sl_offset_pips,
        )
        ops += modify(then, target, survivors, [], specs, buffer_pips)
    return ops


def close_share(command: Command, target: Target, legs: Sequence[Position]) -> tuple[Decimal, bool]:
    """Return the share of `legs` a close takes, and whether it closes the whole signal.

    "Close 0.3 lots" under a signal that says the channel trades "Lot: 1.00" is 30 % of what
    the user opened for it (not of what is left after earlier partials); with the channel's lot
    size unknown, it is the command's own share (half).
    """
    fraction = command.fraction if command.fraction is not None else Decimal(1)
    lot = target.signal.lot
    if command.lots is None or lot is None or lot <= 0:
        return fraction, fraction >= 1
    share = command.lots / lot
    if share >= 1:
        return Decimal(1), True
    held = sum((leg.volume for leg in legs), Decimal(0))
    # A pending leg counts once it filled (one never filled was never part of the trade).
    filled = {leg.client_id for leg in legs}
    opened = target.opened + sum(
        (volume for client, volume in target.pending.items() if client in filled), Decimal(0)
    )
    if held <= 0 or opened <= 0:
        return fraction, False
    return min(opened * share / held, Decimal(1)), False


def modify(
    command: Command,
    target: Target,
    mine: list[Position],
    pending: list[PendingOrder],
    specs: Mapping[str, SymbolSpec],
    buffer_pips: Decimal,
) -> list[Operation]:
    """Return the SL/TP changes a modify command means for one signal's positions and orders."""
    ops: list[Operation] = []
    items: list[Position | PendingOrder] = [*mine, *pending]
    for item in items:
        spec = specs[item.symbol]
        sl = _new_sl(command, target.signal, item, spec, buffer_pips)
        tp = _command_tp(command, leg_of(item.client_id)) if command.tps else None
        new_sl = round_price(sl, spec) if sl is not None else item.sl
        new_tp = round_price(tp, spec) if tp is not None else item.tp
        if sl is None and tp is None:
            continue  # nothing asked of this one (a level found already set is still asked:
            # core/levels drops it, and a retry records it as set)
        if isinstance(item, PendingOrder):
            ops.append(
                Operation(
                    kind=ChangeKind.ORDER, target=item.id, price=item.price, sl=new_sl, tp=new_tp
                )
            )
        else:
            kind = ChangeKind.SL if new_sl != item.sl or tp is None else ChangeKind.TP
            ops.append(Operation(kind=kind, target=item.id, sl=new_sl, tp=new_tp))
    return ops


def _new_sl(
    command: Command,
    signal: Signal,
    item: Position | PendingOrder,
    spec: SymbolSpec,
    buffer_pips: Decimal,
) -> Decimal | None:
    if command.sl is not None:
        return command.sl
    entry = item.open_price if isinstance(item, Position) else item.price
    if command.sl_anchor is SlAnchor.ENTRY:
        # The channel's own "+ 2 pips" beyond the entry, else the user's breakeven buffer.
        pips = buffer_pips if command.sl_offset_pips is None else command.sl_offset_pips
        return entry + item.side.sign * pips * spec.pip
    tps = in_prices(signal, entry, spec).tps  # targets in pips: from the item's own entry
    number = None if command.sl_anchor is None else command.sl_anchor.target
    if number is not None and number <= len(tps):
        return tps[number - 1]
    return None


def rounded(price: Decimal | None, spec: SymbolSpec) -> Decimal | None:
    """Return a price rounded to the symbol's tick, or None."""
    return round_price(price, spec) if price is not None else None


def _command_tp(command: Command, leg: int) -> Decimal | None:
    # "TP3 to 2680" changes the third target's leg only; unnumbered prices go in order.
    if command.tp_numbers:
        numbered = dict(zip(command.tp_numbers, command.tps, strict=True))
        return numbered.get(leg + 1)
    return leg_tp(command.tps, leg)


def leg_tp(tps: Sequence[Decimal], leg: int) -> Decimal | None:
    """Return the TP of one leg: its own, or the last one for legs beyond the list."""
    if not tps:
        return None
    return tps[min(leg, len(tps) - 1)]


def signal_targets(
    targets: Sequence[Target], positions: Sequence[Position], orders: Sequence[PendingOrder]
) -> dict[str, tuple[Decimal, ...]]:
    """Return the targets (prices) of the signal each position or order belongs to, by id."""
    found: dict[str, tuple[Decimal, ...]] = {}
    for target in targets:
        ids = [p.id for p in owned(positions, target.client_id)]
        ids += [o.id for o in owned(orders, target.client_id)]
        found.update(dict.fromkeys(ids, target.signal.tps))
    return found
