"""What an opening reads from the account, fetched concurrently; symbol lists and specs cached.

Symbol lists and specifications change rarely, so each process keeps them per account for a
short time (a minute by default); quotes and balances are always read fresh.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from signal_copier.core.market import AccountInfo, Quote, SymbolSpec
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.symbol_map import broker_symbol, mapping_key

MAX_ACCOUNTS = 10_000  # entries kept; the least recently used account is dropped first


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    """An instrument as an opening needs it: its broker name, spec, quote and the balance."""

    symbol: str
    spec: SymbolSpec
    quote: Quote
    info: AccountInfo


@dataclass(slots=True, kw_only=True)
class _Entry:
    until: datetime
    symbols: list[str]
    specs: dict[str, SymbolSpec] = field(default_factory=dict)
    # (canonical, the user's mapping for it) → broker symbol: matching scans every listed name
    names: dict[tuple[str, str | None], str] = field(default_factory=dict)


@dataclass(slots=True, kw_only=True)
class InstrumentCache:
    """Per-process cache of each account's symbol list and specs (bounded, expiring)."""

    ttl: timedelta = timedelta(minutes=1)
    _entries: OrderedDict[str, _Entry] = field(default_factory=OrderedDict)
    # The account each key was last connected to: another process may switch a user's account,
    # and this one learns it only when it connects from the stored credentials.
    _accounts: OrderedDict[str, str] = field(default_factory=OrderedDict)

    async def snapshot(
        self,
        key: str,
        account: BrokerAccount,
        canonical: str,
        overrides: dict[str, str],
        now: datetime,
    ) -> Snapshot:
        """Return the instrument for `canonical` on an account: at most two round trips."""
        entry = await self._entry(key, account, now)
        # Keyed by the mapping that applies, which may be the instrument's ("GER40" for "DE40").
        key_of_mapping = mapping_key(canonical, overrides)
        named = (canonical, None if key_of_mapping is None else overrides[key_of_mapping])
        symbol = entry.names.get(named) or broker_symbol(canonical, entry.symbols, overrides)
        entry.names[named] = symbol
        cached = entry.specs.get(symbol)
        if cached is None:
            spec, quote, info = await asyncio.gather(
                account.symbol_spec(symbol), account.quote(symbol), account.account_info()
            )
            entry.specs[symbol] = spec
        else:  # a task per read costs: only what needs a round trip is gathered
            spec = cached
            quote, info = await asyncio.gather(account.quote(symbol), account.account_info())
        # A cached spec's tick value may be a minute old (copied only when it differs, digits
        # included: compare_total tells 1.0 from 1.00).
        tick = quote.tick_value
        if tick is not None and tick.compare_total(spec.tick_value) != 0:
            spec = replace(spec, tick_value=tick)
        return Snapshot(symbol=symbol, spec=spec, quote=quote, info=info)

    def bind(self, key: str, account_id: str) -> None:
        """Note the account `key` is connected to now; what was cached for another is dropped."""
        if self._accounts.get(key, account_id) != account_id:
            self._entries.pop(key, None)
        self._accounts[key] = account_id
        self._accounts.move_to_end(key)
        while len(self._accounts) > MAX_ACCOUNTS:  # an entry never outlives knowing its account
            dropped, _ = self._accounts.popitem(last=False)
            self._entries.pop(dropped, None)

    def forget(self, key: str) -> None:
        """Drop an account's cached data (credentials changed, or the broker said so)."""
        self._entries.pop(key, None)

    async def _entry(self, key: str, account: BrokerAccount, now: datetime) -> _Entry:
        entry = self._entries.get(key)
        if entry is None or entry.until <= now:
            symbols = await account.symbols()
            # Names matched against the same list still hold; specs are read again.
            names = entry.names if entry is not None and entry.symbols == symbols else {}
            entry = _Entry(until=now + self.ttl, symbols=symbols, names=names)
            self._entries[key] = entry
            while len(self._entries) > MAX_ACCOUNTS:
                dropped, _ = self._entries.popitem(last=False)
                self._accounts.pop(dropped, None)
        self._entries.move_to_end(key)
        return entry
