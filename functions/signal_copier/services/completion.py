"""A levels-only message acts on a signal only in time and only with levels that fit its side."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from signal_copier.core import completion
from signal_copier.core.followups import Target, owned
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import Command, Intent, TradeResult
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from signal_copier.core.settings import Netting, TradeSettings
from signal_copier.services.records import skipped

Held = tuple[Sequence[Target], Sequence[Position], Sequence[PendingOrder]]


async def completing(
    intent: Intent,
    command: Command,
    account: BrokerAccount,
    records: Sequence[TradeRecord],
    held: Held,
    settings: TradeSettings,
) -> tuple[Command, list[Target], tuple[str, ...]] | TradeResult:
    """Return the levels to set, the signals they complete and notes, or why none is.

    A signal is completed when it was posted at most `split_window_s` before the message and
    the levels fit its side; the targets go to the legs as an opening would have spread them.
    """
    if settings.split_window_s == 0:
        return skipped(intent, Reason.LEVELS_ONLY_OFF, completion.off_detail())
    kept, refused = _fitting(intent, command, records, held, settings)
    if not kept:
        reason, _ = refused[0]
        return skipped(intent, reason, "; ".join(note for _, note in refused))
    notes = [note for _, note in refused]
    if settings.netting is Netting.SINGLE and command.tps and await _netted(account):
        command, note = completion.on_one_position(command, settings.netting_tp)
        return command, kept, (*notes, note)
    _, positions, orders = held
    for target in kept:
        legs = [p.client_id for p in owned(positions, target.client_id)]
        legs += [o.client_id for o in owned(orders, target.client_id)]
        untraded = completion.untraded_targets(command, legs)
        notes += [untraded] if untraded else []
    return command, kept, tuple(notes)


def _fitting(
    intent: Intent,
    command: Command,
    records: Sequence[TradeRecord],
    held: Held,
    settings: TradeSettings,
) -> tuple[list[Target], list[tuple[Reason, str]]]:
    # The targets the levels complete, and (reason, note) for each one they do not.
    targets, positions, orders = held
    posted = {record.intent.client_id: record.intent.message_date for record in records}
    kept: list[Target] = []
    refused: list[tuple[Reason, str]] = []
    for target in targets:
        prices = [p.open_price for p in owned(positions, target.client_id)]
        prices += [o.price for o in owned(orders, target.client_id)]
        verdict = _verdict(intent, command, target, posted[target.client_id], prices, settings)
        if verdict is None:
            kept.append(target)
        else:
            refused.append((verdict[0], f"{target.signal.symbol}: {verdict[1]}"))
    return kept, refused


def _verdict(
    intent: Intent,
    command: Command,
    target: Target,
    posted: datetime,
    prices: list[Decimal],
    settings: TradeSettings,
) -> tuple[Reason, str] | None:
    late = completion.late_detail(posted, intent.message_date, settings.split_window_s)
    if late is not None:
        return Reason.LEVELS_TOO_LATE, late
    found = completion.misfit(command, target.signal, prices)
    return None if found is None else (found.reason, found.detail)


async def _netted(account: BrokerAccount) -> bool:
    return (await account.account_info()).margin_mode.netted
