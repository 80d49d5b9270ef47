"""Paper-broker instruments (from symbols.json) and one account's broker symbol names."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from typing import Any

from signal_copier.core.errors import BrokerRejected, InvalidInput, UnknownSymbol
from signal_copier.core.market import SymbolSpec
from signal_copier.core.reasons import Reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Instrument:
    """A canonical symbol's MT5 specification, currencies and default quote."""

    symbol: str
    digits: int
    contract_size: Decimal
    volume_min: Decimal
    volume_max: Decimal
    volume_step: Decimal
    stops_level: int
    pip_size: Decimal | None
    base: str
    profit_currency: str
    bid: Decimal
    ask: Decimal

    @property
    def point(self) -> Decimal:
        """Return the smallest price increment (10^-digits)."""
        return Decimal(1).scaleb(-self.digits)

    @property
    def stops_distance(self) -> Decimal:
        """Return the minimum SL/TP and pending-price distance from the market, as a price."""
        return self.stops_level * self.point

    def round_price(self, price: Decimal) -> Decimal:
        """Round a price to the symbol's digits (BrokerRejected for what is not a price)."""
        try:
            return price.quantize(self.point, rounding=ROUND_HALF_EVEN)
        except InvalidOperation as e:  # NaN, infinity, or too many digits to round
            raise BrokerRejected(
                f"{price!s:.30} is not a price for {self.symbol}", reason=Reason.INVALID_PRICE
            ) from e

    def spec(self, name: str, tick_value: Decimal) -> SymbolSpec:
        """Return the SymbolSpec under a broker's name, with a tick value in account currency."""
        return SymbolSpec(
            symbol=name,
            digits=self.digits,
            point=self.point,
            tick_size=self.point,
            tick_value=tick_value,
            contract_size=self.contract_size,
            volume_min=self.volume_min,
            volume_max=self.volume_max,
            volume_step=self.volume_step,
            stops_level=self.stops_level,
            pip_size=self.pip_size,
        )


def load_instruments() -> dict[str, Instrument]:
    """Load the packaged symbols.json into instruments keyed by canonical symbol."""
    text = resources.files("signal_copier.broker.paper").joinpath("symbols.json").read_text("utf-8")
    data = json.loads(text)
    classes: dict[str, dict[str, Any]] = data["classes"]
    return {
        symbol: _instrument(symbol, {**classes[entry["class"]], **entry})
        for symbol, entry in data["symbols"].items()
    }


def _instrument(symbol: str, fields: Mapping[str, Any]) -> Instrument:
    pip_size = fields.get("pip_size")
    return Instrument(
        symbol=symbol,
        digits=int(fields["digits"]),
        contract_size=Decimal(fields["contract_size"]),
        volume_min=Decimal(fields["volume_min"]),
        volume_max=Decimal(fields["volume_max"]),
        volume_step=Decimal(fields["volume_step"]),
        stops_level=int(fields.get("stops_level", 0)),
        pip_size=None if pip_size is None else Decimal(pip_size),
        base=fields["base"],
        profit_currency=fields["profit"],
        bid=Decimal(fields["bid"]),
        ask=Decimal(fields["ask"]),
    )


class SymbolNames:
    """Map one account's broker symbol names (prefix, suffix, aliases) to canonical symbols."""

    def __init__(
        self,
        canonical: Iterable[str],
        *,
        prefix: str = "",
        suffix: str = "",
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        self.prefix, self.suffix, self.aliases = prefix, suffix, dict(aliases or {})
        self._to_broker = {symbol: f"{prefix}{symbol}{suffix}" for symbol in canonical}
        for name, symbol in (aliases or {}).items():
            if symbol not in self._to_broker:
                raise InvalidInput(f"alias {name!r} names an unknown symbol {symbol!r}")
            self._to_broker[symbol] = name
        self._to_canonical = {name: symbol for symbol, name in self._to_broker.items()}

    def canonical(self, name: str) -> str:
        """Return the canonical symbol for a broker name, as MT5 would find it (exact match)."""
        try:
            return self._to_canonical[name]
        except KeyError:
            raise UnknownSymbol(f"the broker has no symbol {name!r}") from None

    def all(self) -> list[str]:
        """Return every broker name, in catalogue order."""
        return list(self._to_broker.values())
