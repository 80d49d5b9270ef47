"""The paper broker's whole state as JSON-safe data: a local run resumes its paper account.

Clock, prices, ticket counter and every account (balance, names, positions, pending orders,
deals). Loading validates everything and names the field of the first problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any, TypeVar

from signal_copier.broker.paper.ledger import Ledger
from signal_copier.broker.paper.server import PaperBroker
from signal_copier.broker.paper.specs import Instrument
from signal_copier.core import codec
from signal_copier.core.errors import InvalidInput, Rejected
from signal_copier.core.market import Deal, PendingOrder, Position

FORMAT = 1
MAX_OFFSET_US = 86_400 * 10**6
T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class _Quote:
    bid: Decimal
    ask: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class _AccountHeader:
    account_id: str
    balance: Decimal
    currency: str
    leverage: int
    prefix: str = ""
    suffix: str = ""
    aliases: dict[str, Any] = field(default_factory=dict)


def dump(broker: PaperBroker) -> dict[str, Any]:
    """Return the broker's state (see the module docstring) as JSON-safe data."""
    venue = broker.venue
    return {
        "format": FORMAT,
        "now": venue.now.isoformat(),
        "last_id": venue.last_id,
        "clock_offset_us": venue.clock_offset // timedelta(microseconds=1),
        "quotes": {symbol: [str(b), str(a)] for symbol, (b, a) in venue.quotes().items()},
        "accounts": [_account(account.ledger) for account in broker.accounts()],
    }


def load(data: Any, instruments: Mapping[str, Instrument] | None = None) -> PaperBroker:
    """Rebuild a broker from `dump`'s data; InvalidInput names the field of the first problem."""
    top = _object(data, "paper")
    if top.get("format") != FORMAT:
        raise InvalidInput(f"paper.format: expected {FORMAT}, found {top.get('format')!r}")
    now = codec.parse_utc(top.get("now"), "paper.now")
    broker = PaperBroker(now=now, instruments=instruments)
    quotes = {
        str(symbol): _pair(pair, f"paper.quotes.{symbol}")
        for symbol, pair in _object(top.get("quotes"), "paper.quotes").items()
    }
    last_id = top.get("last_id")
    if isinstance(last_id, bool) or not isinstance(last_id, int) or last_id < 0:
        raise InvalidInput("paper.last_id: expected a ticket number")
    try:
        broker.venue.restore(quotes, last_id)
    except Rejected as e:  # a price that is not one, a symbol the catalogue no longer has
        raise InvalidInput(f"paper.quotes: {e}") from e
    offset = top.get("clock_offset_us", 0)
    if isinstance(offset, bool) or not isinstance(offset, int) or abs(offset) > MAX_OFFSET_US:
        raise InvalidInput("paper.clock_offset_us: expected microseconds (within a day)")
    broker.clock_offset = timedelta(microseconds=offset)
    accounts = top.get("accounts")
    if not isinstance(accounts, list):
        raise InvalidInput("paper.accounts: expected a list")
    for number, raw in enumerate(accounts):
        _restore_account(broker, _object(raw, f"paper.accounts[{number}]"), number)
    return broker


def _account(ledger: Ledger) -> dict[str, Any]:
    return {
        "account_id": ledger.account_id,
        "balance": str(ledger.balance),
        "currency": ledger.currency,
        "leverage": ledger.leverage,
        "prefix": ledger.names.prefix,
        "suffix": ledger.names.suffix,
        "aliases": dict(ledger.names.aliases),
        "positions": [codec.to_dict(p) for p in ledger.positions.values()],
        "orders": [codec.to_dict(o) for o in ledger.orders.values()],
        "deals": [codec.to_dict(d) for d in ledger.deals],
    }


def _restore_account(broker: PaperBroker, raw: dict[str, Any], number: int) -> None:
    where = f"paper.accounts[{number}]"
    try:
        header = codec.from_dict(_AccountHeader, raw)
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {e}") from e
    account = broker.open_account(
        header.account_id,
        balance=header.balance,
        currency=header.currency,
        symbol_suffix=header.suffix,
        symbol_prefix=header.prefix,
        aliases={str(k): str(v) for k, v in header.aliases.items()},
        leverage=header.leverage,
    )
    ledger = account.ledger
    for position in _records(Position, raw.get("positions"), f"{where}.positions"):
        ledger.positions[position.id] = position
    for order in _records(PendingOrder, raw.get("orders"), f"{where}.orders"):
        ledger.orders[order.id] = order
    ledger.deals.extend(_records(Deal, raw.get("deals"), f"{where}.deals"))


def _records(cls: type[T], raw: Any, where: str) -> list[T]:
    if not isinstance(raw, list):
        raise InvalidInput(f"{where}: expected a list")
    try:
        return [codec.from_dict(cls, item) for item in raw]
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {e}") from e


def _object(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise InvalidInput(f"{where}: expected an object")
    return data


def _pair(pair: Any, where: str) -> tuple[Decimal, Decimal]:
    if not isinstance(pair, list) or len(pair) != 2:
        raise InvalidInput(f"{where}: expected [bid, ask]")
    try:
        quote = codec.from_dict(_Quote, {"bid": pair[0], "ask": pair[1]})
    except InvalidInput as e:
        raise InvalidInput(f"{where}: {e}") from e
    return quote.bid, quote.ask
