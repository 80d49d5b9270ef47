"""Canonical symbol → the broker's name for it (suffixes, prefixes, aliases, user overrides)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping

from signal_copier.core.errors import UnknownSymbol
from signal_copier.core.parsing.symbols import as_written, broker_aliases, coin_quotes
from signal_copier.core.reasons import Reason

# Other names brokers list the same instrument under: the broker half of the one symbol table
# (core/parsing/symbols.json), whose other half is what channels write. A canonical name not in it
# is looked for as it is ("EURUSD", a coin pair, a Deriv index).
ALIASES: dict[str, tuple[str, ...]] = broker_aliases()
# Index tickers the parser names as the channel wrote them (SPX500, DE40) → their instrument.
_FAMILY: dict[str, str] = as_written()
_CURRENCIES, _COIN_QUOTES = coin_quotes()
_DOLLAR_QUOTES = ("USDT", "USDC", "BUSD")  # stablecoins pegged to the US dollar
MAX_AFFIX = 4  # "m", ".pro", "ecn", "-raw": longer leftovers mean a different instrument
_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def instrument(symbol: str) -> str:
    """Return the instrument a parsed symbol names, for telling whether two name the same.

    "SPX500" and "US500" are one index; a coin is its base whatever its quote ("ETH", "ETHUSD"
    and "ETHUSDT" all name ETH: a channel's "close eth" means the ETH trade it posted).
    """
    named = _FAMILY.get(symbol, symbol)
    for quote in _COIN_QUOTES:
        base = named.removesuffix(quote)
        if base != named and base and base not in _CURRENCIES:
            return base
    return named


def same_instrument(one: str, other: str) -> bool:
    """Return whether two parsed symbols name the same instrument."""
    return instrument(one) == instrument(other)


def allowed(symbol: str, allowed_symbols: Iterable[str]) -> bool:
    """Return whether the symbol's instrument is among the allowed symbols' instruments."""
    wanted = instrument(symbol)
    return any(instrument(name) == wanted for name in allowed_symbols)


def mapping_key(canonical: str, overrides: Mapping[str, str]) -> str | None:
    """Return the key of the user's mapping that applies to `canonical` (None: no mapping)."""
    if canonical in overrides:
        return canonical
    named = instrument(canonical)
    return named if named in overrides else None


def broker_symbol(canonical: str, available: Iterable[str], overrides: Mapping[str, str]) -> str:
    """Return the broker symbol for `canonical`, or raise UnknownSymbol naming the candidates.

    A user's mapping applies to the symbol as parsed or to its instrument ("US500" maps
    "SPX500" too, unless "SPX500" has a mapping of its own).
    """
    names = list(available)
    key = mapping_key(canonical, overrides)
    if key is not None:
        mapped = overrides[key]
        if mapped in names:
            return mapped
        raise UnknownSymbol(f"your mapping {key} → {mapped}: the broker has no {mapped}")
    if canonical in names:
        return canonical
    matches = _matches(canonical, names)
    usd = _usd_market(canonical)
    if not matches and usd is not None:
        matches = _matches(usd, names)
    if not matches:
        close = difflib.get_close_matches(canonical, names, n=3, cutoff=0.5)
        hint = f" (closest: {', '.join(close)})" if close else ""
        raise UnknownSymbol(f"the broker lists no symbol for {canonical}{hint}; add a mapping")
    best = [name for length, name in matches if length == matches[0][0]]
    if len(best) > 1:
        raise UnknownSymbol(
            f"{canonical} matches several broker symbols ({', '.join(best)}); add a symbol mapping",
            reason=Reason.AMBIGUOUS_SYMBOL,
        )
    return best[0]


def _matches(canonical: str, names: list[str]) -> list[tuple[int, str]]:
    # The broker's names for `canonical`, fewest extra characters (suffix, prefix) first.
    wanted = tuple(_bare(alias) for alias in ALIASES.get(canonical, (canonical,)))
    lengths = ((_affix_length(name, wanted), name) for name in names)
    return sorted((length, name) for length, name in lengths if length is not None)


def _usd_market(canonical: str) -> str | None:
    # "SOL/USDT", "ETH-PERP" (read ETHUSDT): a coin quoted in a dollar stablecoin trades on an MT5
    # account as its USD CFD when the broker lists no stablecoin market ("LINK/BTC" never does).
    for quote in _DOLLAR_QUOTES:
        base = canonical.removesuffix(quote)
        if base != canonical and base and base not in _CURRENCIES:
            return base + "USD"
    return None


def _bare(name: str) -> str:
    # "Volatility 75 (1s) Index" and "VOLATILITY751SINDEX" are one name to compare.
    return _NON_ALNUM.sub("", name.upper())


def _affix_length(name: str, wanted: tuple[str, ...]) -> int | None:
    bare = _bare(name)
    best: int | None = None
    for alias in wanted:
        at = bare.find(alias)
        if at < 0:
            continue
        extra = len(bare) - len(alias)
        if extra > MAX_AFFIX or at not in (0, extra) or _digit_joined(bare, alias, at):
            continue
        if best is None or extra < best:
            best = extra
    return best


def _digit_joined(bare: str, alias: str, at: int) -> bool:
    # US30 + "0" is US300, a different index: a digit may not run on from a digit.
    end = at + len(alias)
    after = end < len(bare) and bare[end].isdigit() and alias[-1].isdigit()
    before = at > 0 and bare[at - 1].isdigit() and alias[0].isdigit()
    return after or before
