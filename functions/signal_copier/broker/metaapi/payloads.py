"""MetaAPI payloads ↔ domain values. Floats exist only here: Decimal → float when sending,
float → Decimal through str() when reading, so no binary float artefact reaches a price.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.market import (
    AccountInfo,
    Deal,
    DealReason,
    MarginMode,
    PendingOrder,
    Position,
    Quote,
    SymbolSpec,
)
from signal_copier.core.model import OrderType, Side

Payload = Mapping[str, Any]

MARGIN_MODES = {
    "ACCOUNT_MARGIN_MODE_RETAIL_HEDGING": MarginMode.HEDGING,
    "ACCOUNT_MARGIN_MODE_RETAIL_NETTING": MarginMode.NETTING,
    "ACCOUNT_MARGIN_MODE_EXCHANGE": MarginMode.EXCHANGE,
}
POSITION_SIDES = {"POSITION_TYPE_BUY": Side.BUY, "POSITION_TYPE_SELL": Side.SELL}
ORDER_TYPES = {
    "ORDER_TYPE_BUY": (Side.BUY, OrderType.MARKET),
    "ORDER_TYPE_SELL": (Side.SELL, OrderType.MARKET),
    "ORDER_TYPE_BUY_LIMIT": (Side.BUY, OrderType.LIMIT),
    "ORDER_TYPE_SELL_LIMIT": (Side.SELL, OrderType.LIMIT),
    "ORDER_TYPE_BUY_STOP": (Side.BUY, OrderType.STOP),
    "ORDER_TYPE_SELL_STOP": (Side.SELL, OrderType.STOP),
    # Never placed by the copier (a user's own); listed as stops, since a stop triggers them.
    "ORDER_TYPE_BUY_STOP_LIMIT": (Side.BUY, OrderType.STOP),
    "ORDER_TYPE_SELL_STOP_LIMIT": (Side.SELL, OrderType.STOP),
}
DEAL_SIDES = {"DEAL_TYPE_BUY": Side.BUY, "DEAL_TYPE_SELL": Side.SELL}  # others are not trades
# The one table from a deal's entry type and reason to ours; (entry, None) is the entry's default.
DEAL_REASONS: Mapping[tuple[str, str | None], DealReason] = {
    ("DEAL_ENTRY_IN", None): DealReason.OPEN,
    ("DEAL_ENTRY_OUT", "DEAL_REASON_SL"): DealReason.SL,
    ("DEAL_ENTRY_OUT", "DEAL_REASON_TP"): DealReason.TP,
    ("DEAL_ENTRY_OUT", None): DealReason.CLOSE,  # client, expert, mobile, web, stop-out, ...
    ("DEAL_ENTRY_OUT_BY", None): DealReason.CLOSE,
    ("DEAL_ENTRY_INOUT", None): DealReason.CLOSE,  # a netting reversal closes first
}


def decimal(value: Any, field: str) -> Decimal:
    """Return a payload number as a Decimal through its shortest repr (BrokerUnavailable if bad)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise BrokerUnavailable(f"MetaAPI sent no usable {field} ({value!r})")
    try:
        number = Decimal(str(value))
    except InvalidOperation as e:
        raise BrokerUnavailable(f"MetaAPI sent no usable {field} ({value!r})") from e
    if not number.is_finite():
        raise BrokerUnavailable(f"MetaAPI sent no usable {field} ({value!r})")
    return number


def level(value: Any, field: str, digits: int | None = None) -> Decimal | None:
    """Return an SL/TP level, None when unset (absent or 0, as MT5 writes "no level")."""
    if value is None or value == 0:
        return None
    return price(value, field, digits)


def price(value: Any, field: str, digits: int | None = None) -> Decimal:
    """Return a price, rounded to the symbol's digits when they are known."""
    number = decimal(value, field)
    return number if digits is None else round_to(number, digits)


def digits_of(spec: Payload) -> int:
    """Return a symbol specification's digits."""
    return int(decimal(spec.get("digits"), "digits"))


def round_to(value: Decimal, digits: int) -> Decimal:
    """Round a price to `digits` decimals (half to even, as MT5 prices are stored)."""
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN)


def to_float(value: Decimal, digits: int | None = None) -> float:
    """Return a price or volume for the SDK, rounded to `digits` first when given."""
    return float(value if digits is None else round_to(value, digits))


def utc(value: Any, field: str) -> datetime:
    """Return a payload time (the SDK parses *time fields into aware datetimes) in UTC."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise BrokerUnavailable(f"MetaAPI sent no usable {field} ({value!r})")


def ticket(value: Any) -> str:
    """Return a position, order or deal id as a string (the SDK types some ids as int)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BrokerUnavailable(f"MetaAPI sent no usable id ({value!r})")
    return str(value)


def account_info(account_id: str, data: Payload) -> AccountInfo:
    """Return balance, equity, currency and margin mode.

    A missing or unknown margin mode on MT5 reads as netting, the mode under which one position
    per TP cannot be kept, so a guard refuses rather than mis-trades; MT4 always hedges.
    """
    mode = MARGIN_MODES.get(str(data.get("marginMode")))
    if mode is None:
        mode = MarginMode.HEDGING if data.get("platform") == "mt4" else MarginMode.NETTING
    return AccountInfo(
        account_id=account_id,
        balance=decimal(data.get("balance"), "balance"),
        equity=decimal(data.get("equity"), "equity"),
        currency=str(data.get("currency") or ""),
        margin_mode=mode,
    )


def symbol_spec(data: Payload, quote: Payload) -> SymbolSpec:
    """Return a spec; the tick value is the price's loss tick value, the one risk sizing needs.

    (MetaAPI quotes a tick's worth for a losing and for a winning position separately; sizing
    asks what the stop loss costs, so the loss side is the right one.) Sizes the core divides
    by must be positive: a spec without them is refused, never used.
    """
    tick_value = quote.get("lossTickValue") or quote.get("profitTickValue")
    pip_size = data.get("pipSize")
    spec = SymbolSpec(
        symbol=str(data.get("symbol")),
        digits=digits_of(data),
        point=positive(data.get("point"), "point"),
        tick_size=positive(data.get("tickSize") or data.get("point"), "tickSize"),
        tick_value=positive(tick_value, "lossTickValue"),
        contract_size=positive(data.get("contractSize"), "contractSize"),
        volume_min=positive(data.get("minVolume"), "minVolume"),
        volume_max=positive(data.get("maxVolume"), "maxVolume"),
        volume_step=positive(data.get("volumeStep"), "volumeStep"),
        stops_level=int(decimal(data.get("stopsLevel") or 0, "stopsLevel")),
        pip_size=None if not pip_size else positive(pip_size, "pipSize"),
    )
    if spec.digits < 0 or spec.volume_max < spec.volume_min:
        raise BrokerUnavailable(f"MetaAPI sent an inconsistent spec for {spec.symbol}")
    return spec


def positive(value: Any, field: str) -> Decimal:
    """Return a number that must be above zero (a size the core divides by)."""
    number = decimal(value, field)
    if number <= 0:
        raise BrokerUnavailable(f"MetaAPI sent no usable {field} ({value!r})")
    return number


def quote(symbol: str, data: Payload, digits: int | None) -> Quote:
    """Return the bid and ask at the price's time, with the loss tick value that comes with it."""
    tick = data.get("lossTickValue") or data.get("profitTickValue")
    return Quote(
        symbol=symbol,
        bid=price(data.get("bid"), "bid", digits),
        ask=price(data.get("ask"), "ask", digits),
        time=utc(data.get("time"), "time"),
        tick_value=None if tick is None else positive(tick, "lossTickValue"),
    )


def position(data: Payload, digits: int | None) -> Position:
    """Return an open position."""
    side = POSITION_SIDES.get(str(data.get("type")))
    if side is None:
        raise BrokerUnavailable(f"MetaAPI sent a position of unknown type {data.get('type')!r}")
    opened = data.get("time")
    return Position(
        id=ticket(data.get("id")),
        symbol=str(data.get("symbol")),
        side=side,
        volume=decimal(data.get("volume"), "volume"),
        open_price=price(data.get("openPrice"), "openPrice", digits),
        sl=level(data.get("stopLoss"), "stopLoss", digits),
        tp=level(data.get("takeProfit"), "takeProfit", digits),
        client_id=str(data.get("clientId") or ""),
        opened=None if opened is None else utc(opened, "time"),
    )


def pending_order(data: Payload, digits: int | None) -> PendingOrder | None:
    """Return a pending order; None for kinds that are not orders to open (close-by)."""
    kind = ORDER_TYPES.get(str(data.get("type")))
    if kind is None:
        return None
    remaining = data.get("currentVolume")
    return PendingOrder(
        id=ticket(data.get("id")),
        symbol=str(data.get("symbol")),
        side=kind[0],
        order_type=kind[1],
        volume=decimal(data.get("volume") if remaining is None else remaining, "volume"),
        price=price(data.get("openPrice"), "openPrice", digits),
        sl=level(data.get("stopLoss"), "stopLoss", digits),
        tp=level(data.get("takeProfit"), "takeProfit", digits),
        client_id=str(data.get("clientId") or ""),
    )


def deal_reason(entry: str, reason: str | None) -> DealReason | None:
    """Return our reason for a deal's entry type and reason; None for an unknown entry type."""
    return DEAL_REASONS.get((entry, reason)) or DEAL_REASONS.get((entry, None))


def deals(data: Iterable[Payload]) -> list[Deal]:
    """Return the trade deals (balance, credit, commission lines dropped), oldest first.

    A closing deal whose clientId the broker overwrote (SL/TP fills get a "[tp ...]" comment)
    takes it from its position's other deals in the same list.
    """
    found = [deal for item in data if (deal := _deal(item)) is not None]
    owners = openers(found)  # not a later close's own tag (a follow-up's "close half")
    return sorted(with_owners(found, owners), key=lambda d: (d.time, d.id))


def with_owners(deals: Iterable[Deal], owners: Mapping[str, str]) -> list[Deal]:
    """Return the deals, each without a clientId given its position's opening one (if known)."""
    return [
        d if d.client_id else replace(d, client_id=owners.get(d.position_id, "")) for d in deals
    ]


def openers(deals: Iterable[Deal]) -> dict[str, str]:
    """Return position id → the clientId of its opening deal (a close may carry its own)."""
    opening = DealReason.OPEN
    return {d.position_id: d.client_id for d in deals if d.client_id and d.reason is opening}


def _deal(data: Payload) -> Deal | None:
    side = DEAL_SIDES.get(str(data.get("type")))
    reason = deal_reason(str(data.get("entryType")), data.get("reason"))
    if side is None or reason is None:
        return None
    profit = sum(
        (decimal(data.get(k) or 0, k) for k in ("profit", "commission", "swap")), Decimal(0)
    )
    return Deal(
        id=ticket(data.get("id")),
        order_id=str(data.get("orderId") or ""),
        position_id=str(data.get("positionId") or ""),
        client_id=str(data.get("clientId") or ""),
        symbol=str(data.get("symbol") or ""),
        side=side,
        volume=decimal(data.get("volume"), "volume"),
        price=decimal(data.get("price"), "price"),
        time=utc(data.get("time"), "time"),
        reason=reason,
        profit=profit,
    )
