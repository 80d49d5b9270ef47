"""Render a Parse in the labelled corpus' schema (the shape the scorer compares)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from signal_copier.core.model import Action, Command, Parse, Signal, SlAnchor


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _numbers(values: tuple[Decimal, ...]) -> list[float]:
    return [float(value) for value in values]


def signal_label(signal: Signal) -> dict[str, Any]:
    """Return one opening signal as a label dict."""
    label: dict[str, Any] = {
        "kind": "open",
        "symbol": signal.symbol,
        "side": signal.side.value,
        "order_type": signal.order_type.value,
        "entry": _number(signal.entry),
        "entry_range": _numbers(signal.entry_range) if signal.entry_range else None,
        "sl": _number(signal.sl),
        "tps": _numbers(signal.tps),
    }
    if signal.tp_open:
        label["tp_open"] = True
    if signal.sl_pips is not None:
        label["sl_pips"] = _number(signal.sl_pips)
    if signal.tp_pips:
        label["tp_pips"] = _numbers(signal.tp_pips)
    if signal.order_type_implicit:
        label["order_type_implicit"] = True
    if signal.risk_percent is not None:
        label["risk_percent"] = _number(signal.risk_percent)
    if signal.lot is not None:
        label["lot"] = _number(signal.lot)
    if signal.flags:
        label["flags"] = list(signal.flags)
        label["inconsistent"] = True
    if signal.position_id is not None:
        label["position_id"] = signal.position_id
    return label


def _anchor(anchor: SlAnchor | None) -> str | None:
    return None if anchor is None else anchor.value


def command_label(command: Command) -> dict[str, Any]:
    """Return a follow-up command as a label dict."""
    label: dict[str, Any] = {"kind": command.action.value, "scope": command.scope.value}
    if command.symbol:
        label["symbol"] = command.symbol
    if command.side:
        label["side"] = command.side.value
    if command.position_id is not None:
        label["position_id"] = command.position_id
    if command.action is Action.CLOSE:
        label["fraction"] = _number(command.fraction or Decimal(1))
        if command.then_sl_anchor or command.sl is not None:
            label["then_sl"] = _anchor(command.then_sl_anchor) or _number(command.sl)
    if command.action is Action.REENTER:
        label.update(_reentry_label(command))
    if command.action is Action.MODIFY:
        label["changes"] = _changes(command)
    return label


def _changes(command: Command) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    sl = _anchor(command.sl_anchor) or _number(command.sl)
    if sl is not None:
        changes["sl"] = sl
    if command.sl_offset_pips is not None:  # "SL to BE +20 pips": that many pips past the entry
        changes["sl_offset_pips"] = float(command.sl_offset_pips)
    if command.tps:
        changes["tp"] = float(command.tps[0])
        changes["tps"] = _numbers(command.tps)
        if command.tp_numbers:
            changes["tp_numbers"] = list(command.tp_numbers)
    # A modify that names no level was told to move the stop without saying where.
    return changes or {"sl": "unspecified"}


def _reentry_label(command: Command) -> dict[str, Any]:
    label: dict[str, Any] = {}
    if command.order_type is not None:
        label["order_type"] = command.order_type.value
    if command.entry is not None:
        label["entry"] = _number(command.entry)
    if command.entry_range is not None:
        label["entry_range"] = _numbers(command.entry_range)
    if command.sl is not None:
        label["sl"] = _number(command.sl)
    if command.tps:
        label["tps"] = _numbers(command.tps)
    return label


def to_label(parse: Parse) -> dict[str, Any]:
    """Return `parse` as one JSON-able dict in the corpus label schema."""
    if parse.signals:
        label = signal_label(parse.signals[0])
        if len(parse.signals) > 1:
            label["additional_signals"] = [signal_label(s) for s in parse.signals[1:]]
        return label
    if parse.command is not None:
        return command_label(parse.command)
    return {"kind": "none", "reason": parse.reason}
