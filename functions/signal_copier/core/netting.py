"""Netting accounts book one position per symbol: refuse, or copy a signal as one position."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from signal_copier.core.guards import Skip
from signal_copier.core.market import MarginMode
from signal_copier.core.reasons import Reason
from signal_copier.core.settings import Netting, TradeSettings


def check_netting(
    margin_mode: MarginMode, held_on_symbol: int, settings: TradeSettings, symbol: str
) -> Skip | None:
    """Refuse an opening the account would net into one position (or merge into another)."""
    if margin_mode is MarginMode.HEDGING:
        return None
    if settings.netting is Netting.REFUSE:
        return Skip(
            reason=Reason.NETTING_ACCOUNT,
            detail=(
                f"this account books one position per symbol ({margin_mode}): one position "
                "per TP would merge into one; set netting to single to copy one position"
            ),
        )
    if held_on_symbol:
        return Skip(
            reason=Reason.NETTING_ACCOUNT,
            detail=(
                f"{symbol} already has {held_on_symbol} position(s) or order(s) on this netting "
                "account: a new order would merge into them"
            ),
        )
    return None


def single_leg(
    tps: Sequence[Decimal | None], settings: TradeSettings
) -> tuple[int, Decimal | None]:
    """Return the TP index (the leg) and TP of the one position a netting account gets.

    The index is the `netting_tp` setting (1 = TP1), or the signal's last TP when it has fewer.
    """
    if not tps:
        return 0, None
    index = min(settings.netting_tp, len(tps)) - 1
    return index, tps[index]
