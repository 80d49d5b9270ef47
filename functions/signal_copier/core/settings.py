"""Trading settings: schema, validation with field-named errors, and precedence.

Precedence: what the signal says (e.g. "risk 1%") > the channel's overrides > the user's defaults.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from signal_copier.core.errors import InvalidSettings
from signal_copier.core.model import Signal
from signal_copier.core.parsing.symbols import canonical

_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")
CACHED_SETTINGS = 4096  # validated settings kept (user defaults × channel overrides × sizing)
MAX_EXPIRY_MINUTES = 30 * 24 * 60
MAX_SYMBOL, MAX_BROKER_NAME = 32, 64
PositiveDecimal = Annotated[Decimal, Field(gt=0, max_digits=18)]
NonNegativeDecimal = Annotated[Decimal, Field(ge=0, max_digits=18)]


class RiskMode(StrEnum):
    FIXED_LOT = "fixed_lot"
    RISK_PERCENT = "risk_percent"


class FarEntry(StrEnum):
    """What to do when the price has run away from the signal's entry."""

    LIMIT = "limit"  # wait for the entry with a pending order
    SKIP = "skip"


class NearEntry(StrEnum):
    """What to do with a pending entry closer to the price than the broker's stops level allows."""

    MARKET = "market"  # take it now at the market price
    MOVE = "move"  # wait at the nearest price the broker accepts


class Netting(StrEnum):
    """How to copy onto a netting account (one position per symbol)."""

    REFUSE = "refuse"  # one position per TP is impossible there: skip (netting_account)
    SINGLE = "single"  # one position with the TP of `netting_tp`


class NoStopLoss(StrEnum):
    DEFAULT_SL = "default_sl"  # use default_sl_pips
    SKIP = "skip"


class OnSignalDeleted(StrEnum):
    """What to do when the channel deletes a signal it posted (or edits it into "cancelled")."""

    CANCEL_PENDING = "cancel_pending"  # cancel its unfilled orders; filled positions stay
    CLOSE = "close"  # cancel its unfilled orders and close its open positions
    IGNORE = "ignore"  # leave its trades as they are


class TradeSettings(BaseModel):
    """Everything that decides how one user copies one channel."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)

    risk_mode: RiskMode = RiskMode.FIXED_LOT
    lot: PositiveDecimal = Decimal("0.01")
    risk_percent: Annotated[Decimal, Field(gt=0, le=10)] = Decimal(1)
    max_lot: PositiveDecimal = Decimal(5)
    tp_split: tuple[PositiveDecimal, ...] = ()  # weights per TP; () = equal parts
    max_positions_per_signal: Annotated[int, Field(ge=1, le=10)] = 4
    # Honour "risk 1%" / "lot 0.05" written in the signal. Off by default: a channel's "Lot 2"
    # is meant for its own account and would size a 0.01-lot user 200x (max_lot still caps it).
    use_signal_risk: bool = False
    max_signal_age_s: Annotated[int, Field(ge=1, le=86_400)] = 60
    max_entry_distance_pips: PositiveDecimal = Decimal(30)
    far_entry: FarEntry = FarEntry.LIMIT
    near_entry: NearEntry = NearEntry.MARKET
    max_spread_pips: PositiveDecimal | None = None
    no_sl: NoStopLoss = NoStopLoss.SKIP
    default_sl_pips: PositiveDecimal | None = None
    max_open_trades: Annotated[int, Field(ge=1)] | None = None
    daily_loss_limit: PositiveDecimal | None = None  # account currency; reached → pause
    allowed_symbols: tuple[str, ...] = ()  # canonical; () = all
    trading_hours: str | None = None  # "HH:MM-HH:MM" UTC, may wrap midnight
    allow_looser_sl: bool = False  # may a follow-up move a stop back from where it protects more
    # A message of levels alone ("SL 2640 TP1 2660") completes the signal it replies to, or the
    # channel's latest signal, posted at most this many seconds before it; 0 = never acted on.
    split_window_s: Annotated[int, Field(ge=0, le=86_400)] = 300
    breakeven_buffer_pips: NonNegativeDecimal = Decimal(0)
    breakeven_on_tp1: bool = False
    trail_sl_to_previous_tp: bool = False
    cancel_pending_on_tp1: bool = True
    on_signal_deleted: OnSignalDeleted = OnSignalDeleted.CANCEL_PENDING
    # At most the follow-up age (30 days): a later expiry is no expiry, and past year 9999 the
    # order's due time cannot even be computed.
    pending_expiry_minutes: Annotated[int, Field(ge=1, le=MAX_EXPIRY_MINUTES)] | None = None
    netting: Netting = Netting.REFUSE
    netting_tp: Annotated[int, Field(ge=1, le=10)] = 1  # which TP the single position takes
    symbol_map: dict[str, str] = Field(default_factory=dict)  # canonical → broker symbol

    @field_validator("trading_hours")
    @classmethod
    def _hours_format(cls, value: str | None) -> str | None:
        if value is not None and not _HOURS.match(value):
            raise ValueError("must look like 08:00-20:00 (UTC)")
        if value is not None and len(set(value.split("-"))) == 1:
            raise ValueError("starts where it ends: leave it empty to trade at any hour")
        return value

    @field_validator("allowed_symbols")
    @classmethod
    def _upper_symbols(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Read as the parser names instruments: "GOLD" allows the signals it reads as XAUUSD.
        return tuple(canonical(s) for s in value if s.strip())

    @field_validator("symbol_map")
    @classmethod
    def _clean_mapping(cls, value: dict[str, str]) -> dict[str, str]:
        # Keys are read as the parser names instruments ("OIL" is USOIL); a broker's name
        # may hold spaces ("Volatility 75 Index") but never around it.
        cleaned: dict[str, str] = {}
        for key, name in value.items():
            symbol, broker = canonical(key), name.strip()
            if not symbol or not broker:
                raise ValueError("each mapping needs a symbol and the broker's name for it")
            if len(symbol) > MAX_SYMBOL or len(broker) > MAX_BROKER_NAME:
                raise ValueError(f"{symbol[:MAX_SYMBOL]}: symbol or broker name too long")
            if cleaned.get(symbol, broker) != broker:
                raise ValueError(f"{symbol} is mapped twice, to different names")
            cleaned[symbol] = broker
        return cleaned

    @model_validator(mode="after")
    def _default_sl_needs_pips(self) -> TradeSettings:
        if self.no_sl is NoStopLoss.DEFAULT_SL and self.default_sl_pips is None:
            raise ValueError("no_sl=default_sl needs default_sl_pips")
        return self


FIELDS = frozenset(TradeSettings.model_fields)


def validate_settings(data: dict[str, Any]) -> TradeSettings:
    """Return validated settings or raise InvalidSettings naming every bad field."""
    try:
        return TradeSettings.model_validate(data)
    except ValidationError as e:
        raise InvalidSettings(_describe(e)) from e


def validate_overrides(data: dict[str, Any]) -> dict[str, Any]:
    """Check a partial (per-channel) settings dict and return it in canonical JSON form."""
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidSettings(f"{unknown[0]}: unknown setting")
    checked = validate_settings(data)
    return checked.model_dump(mode="json", include=set(data))


def effective_settings(
    user: dict[str, Any], channel: dict[str, Any], signal: Signal | None = None
) -> TradeSettings:
    """Merge user defaults, channel overrides and what the signal itself says.

    Validated settings are kept for recently seen inputs (a bounded LRU): every intent asks
    again for the same few users and channels. Invalid settings are judged again each time.
    """
    sizing = "" if signal is None else repr((signal.risk_percent, signal.lot))
    # repr() tells apart what equality would not (True, 1, 1.0 and "1"): a settings value of
    # another type is another key, never another user's validated settings.
    shared = _validated(_Inputs((repr(user), repr(channel), sizing), user, channel, signal))
    # The model is frozen but its one mapping is not: each caller gets its own copy of it, so
    # no caller can change another intent's symbol map through the cache.
    return shared.model_copy(update={"symbol_map": dict(shared.symbol_map)})


class _Inputs:
    """Settings inputs, equal by their key; they carry what validation needs."""

    __slots__ = ("channel", "key", "signal", "user")

    def __init__(
        self,
        key: tuple[str, str, str],
        user: dict[str, Any],
        channel: dict[str, Any],
        signal: Signal | None,
    ) -> None:
        self.key, self.user, self.channel, self.signal = key, user, channel, signal

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Inputs) and self.key == other.key


@lru_cache(maxsize=CACHED_SETTINGS)
def _validated(inputs: _Inputs) -> TradeSettings:
    merged = {**inputs.user, **inputs.channel}
    base = validate_settings(merged)
    signal = inputs.signal
    if signal is None or not base.use_signal_risk:
        return base
    if signal.risk_percent is not None:
        return validate_settings(
            {**merged, "risk_mode": "risk_percent", "risk_percent": str(signal.risk_percent)}
        )
    if signal.lot is not None:
        return validate_settings({**merged, "risk_mode": "fixed_lot", "lot": str(signal.lot)})
    return base


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        field = ".".join(str(p) for p in item["loc"]) or "settings"
        parts.append(f"{field}: {item['msg']}")
    return "; ".join(parts)
