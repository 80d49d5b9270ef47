"""The paper market every paper account shares: instruments, quotes, clock, ids, conversion."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal

from signal_copier.broker.paper.specs import Instrument
from signal_copier.core.errors import BrokerRejected, InvalidInput, UnknownSymbol
from signal_copier.core.reasons import Reason
from signal_copier.core.symbol_map import broker_symbol

USD = "USD"
MAX_PRICE = Decimal(10) ** 9  # no instrument trades near a billion: such a quote is a typo


class Venue:
    """Hold canonical quotes and the paper clock; hand out sequential ids; convert currencies."""

    def __init__(self, instruments: Mapping[str, Instrument], now: datetime) -> None:
        _require_aware(now)
        self.instruments = dict(instruments)
        self.now = now
        self.clock_offset = timedelta(0)  # the server's clock minus ours (< 0: it runs behind)
        self._quotes = {symbol: (inst.bid, inst.ask) for symbol, inst in instruments.items()}
        self._last_id = 0
        self.epoch = 0  # counts price changes: what was valued at an epoch holds until the next
        self._pairs = {(inst.base, inst.profit_currency): s for s, inst in instruments.items()}

    def resolve(self, symbol: str) -> str:
        """Return the instrument a quote names: "XAUUSD", "VOLATILITY 75 INDEX", "BTCUSDT"."""
        if symbol in self.instruments:
            return symbol
        return broker_symbol(symbol, self.instruments, {})  # UnknownSymbol: none, or several

    def instrument(self, symbol: str) -> Instrument:
        """Return a canonical symbol's instrument."""
        try:
            return self.instruments[symbol]
        except KeyError:
            raise UnknownSymbol(f"no paper symbol {symbol!r}") from None

    def prices(self, symbol: str) -> tuple[Decimal, Decimal]:
        """Return a canonical symbol's (bid, ask)."""
        return self._quotes[symbol]

    def update(self, quotes: Mapping[str, tuple[Decimal, Decimal]], now: datetime) -> None:
        """Set canonical (bid, ask) prices rounded to digits and move the clock, all or nothing."""
        named = {self.resolve(symbol): prices for symbol, prices in quotes.items()}
        rounded = {symbol: self._market(symbol, bid, ask) for symbol, (bid, ask) in named.items()}
        self.advance(now)
        self._quotes.update(rounded)
        self.epoch += 1

    def advance(self, now: datetime) -> None:
        """Move the paper clock forward to `now`."""
        _require_aware(now)
        if now < self.now:
            raise InvalidInput(f"the paper clock cannot go back from {self.now} to {now}")
        self.now = now

    @property
    def server_time(self) -> datetime:
        """Return the time the server stamps on quotes, positions and deals."""
        return self.now + self.clock_offset

    def quotes(self) -> dict[str, tuple[Decimal, Decimal]]:
        """Return every canonical symbol's (bid, ask)."""
        return dict(self._quotes)

    @property
    def last_id(self) -> int:
        """Return the last ticket number handed out."""
        return self._last_id

    def restore(self, quotes: Mapping[str, tuple[Decimal, Decimal]], last_id: int) -> None:
        """Put back saved prices (validated like any quote) and the ticket counter."""
        rounded = {symbol: self._market(symbol, bid, ask) for symbol, (bid, ask) in quotes.items()}
        self._quotes.update(rounded)
        self.epoch += 1
        self._last_id = max(self._last_id, last_id)

    def next_id(self) -> str:
        """Return the next ticket number ("1", "2", ...), shared by orders, positions, deals."""
        self._last_id += 1
        return str(self._last_id)

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal:
        """Convert an amount between currencies at mid prices, directly or through USD."""
        rate = self._rate(source, target)
        if rate is None:
            via_usd = (self._rate(source, USD), self._rate(USD, target))
            if via_usd[0] is None or via_usd[1] is None:
                raise BrokerRejected(
                    f"no quote converts {source} to {target}", reason=Reason.NO_QUOTES
                )
            rate = via_usd[0] * via_usd[1]
        return amount * rate

    def _market(self, symbol: str, bid: Decimal, ask: Decimal) -> tuple[Decimal, Decimal]:
        inst = self.instrument(symbol)
        for price in (bid, ask):
            if not isinstance(price, Decimal) or not price.is_finite() or abs(price) >= MAX_PRICE:
                raise InvalidInput(f"{symbol}: {price!s:.30} is not a price (below {MAX_PRICE:,})")
        bid, ask = inst.round_price(bid), inst.round_price(ask)
        if not Decimal(0) < bid <= ask:
            raise InvalidInput(f"{symbol}: bid {bid} and ask {ask} are not a market")
        return bid, ask

    def _rate(self, source: str, target: str) -> Decimal | None:
        if source == target:
            return Decimal(1)
        if (direct := self._pairs.get((source, target))) is not None:
            return self._mid(direct)
        if (inverse := self._pairs.get((target, source))) is not None:
            return 1 / self._mid(inverse)
        return None

    def _mid(self, symbol: str) -> Decimal:
        bid, ask = self._quotes[symbol]
        return (bid + ask) / 2


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None:
        raise InvalidInput("the paper clock needs an aware UTC datetime")
