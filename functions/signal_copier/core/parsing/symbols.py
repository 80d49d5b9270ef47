"""Canonical symbols from the one symbol table: aliases, pairs by their shape, tickers, indices."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, NamedTuple

from signal_copier.core.parsing import synthetic
from signal_copier.core.parsing.normalize import SLASH

# A ticker with no quote settles once the whole message is read: a known coin becomes a USDT perp
# (leverage written) or a USD CFD; any other coin becomes a USDT perp or stays bare.
BARE_CRYPTO = "*"
BARE_TICKER = "^"
_SIDE_SUFFIXES = {"buy": "buy", "sell": "sell", "long": "buy", "short": "sell"}
_MAX_BASE = 12


class Found(NamedTuple):
    """A symbol read at some token: its canonical name, tokens spanned, and if only hashtagged."""

    name: str
    span: int
    weak: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolTable:
    """The parser's view of `symbols.json` plus each language's names."""

    aliases: dict[str, str]
    currencies: frozenset[str]
    split_currencies: frozenset[str]
    crypto: frozenset[str]
    crypto_bare: frozenset[str]
    crypto_quotes: frozenset[str]
    glued_quotes: tuple[str, ...]
    perp_markers: frozenset[str]
    not_tickers: frozenset[str]
    side_adjectives: frozenset[str]  # "STRONG SELL": words before a side that never name a coin
    synthetic: synthetic.Families
    starts: frozenset[str]  # words that can begin a symbol (a cheap pre-check)
    digit_prefixes: frozenset[str]  # "us" in "US30", "dax" in "DAX40": a symbol once digits follow
    contextual: frozenset[str]  # words read as a symbol (or not) only with the next token


@cache
def _data() -> dict[str, Any]:
    text = resources.files("signal_copier.core.parsing").joinpath("symbols.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def load_table(language_aliases: dict[str, str]) -> SymbolTable:
    """Read `symbols.json` and merge the languages' symbol names into one table."""
    data = _data()
    currencies = frozenset(data["currencies"])
    names = {
        n: _named(n, canon, entry)
        for canon, entry in data["instruments"].items()
        for n in entry["names"]
    }
    aliases = {**names, **language_aliases}
    families = synthetic.families(data["synthetic"])
    crypto = frozenset(data["crypto"])
    starts = {alias.split()[0] for alias in aliases} | currencies | crypto | families.starts
    digit_prefixes = frozenset(a.rstrip("0123456789") for a in aliases if a[-1].isdigit())
    two_words = {alias.split()[0] for alias in aliases if " " in alias}
    split_currencies = currencies - frozenset(data["split_exclude"])
    return SymbolTable(
        aliases=aliases,
        currencies=currencies,
        split_currencies=split_currencies,
        crypto=crypto,
        crypto_bare=frozenset(data["crypto_bare"]),
        crypto_quotes=frozenset(data["crypto_quotes"]),
        glued_quotes=tuple(data["glued_quotes"]),
        perp_markers=frozenset(data["perp_markers"]),
        not_tickers=frozenset(data["not_tickers"]),
        side_adjectives=frozenset(data["side_adjectives"]),
        synthetic=families,
        starts=frozenset(starts),
        digit_prefixes=digit_prefixes,
        contextual=digit_prefixes | two_words | split_currencies | crypto | families.starts,
    )


def _named(name: str, canonical: str, entry: dict[str, Any]) -> str:
    # "SPX500", "DE40", "JPN225": an index ticker with its digits keeps the text's own spelling.
    written = entry.get("as_written") and " " not in name and any(map(str.isdigit, name))
    return name.upper() if written else canonical


def as_written() -> dict[str, str]:
    """Return each index ticker the parser names as written → the canonical it groups under."""
    return {
        _named(name, canon, entry): canon
        for canon, entry in _data()["instruments"].items()
        for name in entry["names"]
        if _named(name, canon, entry) != canon
    }


def coin_quotes() -> tuple[frozenset[str], tuple[str, ...]]:
    """Return the fiat/metal currencies and the crypto quotes (upper case, longest first)."""
    data = _data()
    quotes = sorted((q.upper() for q in data["crypto_quotes"]), key=len, reverse=True)
    return frozenset(c.upper() for c in data["currencies"]), tuple(quotes)


def broker_aliases() -> dict[str, tuple[str, ...]]:
    """Return canonical symbol → the names brokers list it under (the mapper's half)."""
    data = _data()
    table = {canon: tuple(entry["broker"]) for canon, entry in data["instruments"].items()}
    for name, canon in as_written().items():  # "SPX500" is listed as US500 where it is not itself
        table[name] = (name, *(alias for alias in table[canon] if alias != name))
    for base in data["crypto_bare"]:
        table.setdefault(f"{base.upper()}USD", (f"{base.upper()}USD",))
    for name in synthetic.families(data["synthetic"]).names:
        table[name] = (name,)
    return table


@cache
def _by_name() -> dict[str, str]:
    return {
        name.upper(): _named(name, canon, entry)
        for canon, entry in _data()["instruments"].items()
        for name in entry["names"]
    }


def canonical(name: str) -> str:
    """Return the symbol the parser names an instrument written `name` by ("GOLD" → "XAUUSD")."""
    upper = name.strip().upper()
    return upper if upper in broker_aliases() else _by_name().get(upper, upper)


def known_symbols(language_aliases: dict[str, str]) -> frozenset[str]:
    """Return every canonical name the table itself can produce (not shapes of unknown coins)."""
    return frozenset(load_table(language_aliases).aliases.values()) | frozenset(broker_aliases())


def ticker_shaped(raw: str) -> bool:
    """Return True for a coin ticker as channels write one: "ONDO", "1000PEPE", "W"."""
    return 1 <= len(raw) <= _MAX_BASE and raw.isalnum() and raw.isupper()


def _pair(word: str, table: SymbolTable) -> str | None:
    if len(word) == 7 and word[6] == word[5]:
        word = word[:6]  # "usdchff": a doubled last letter is a common typo
    if len(word) != 6:
        return None
    base, quote = word[:3], word[3:]
    if base != quote and base in table.currencies and quote in table.currencies:
        return word.upper()
    return None


def _broker_suffix(word: str, raw: str, table: SymbolTable) -> str | None:
    # "XAUUSDc", "EURUSDm", "GBPJPYz": a broker's account suffix, one lower-case letter after a
    # name in capitals (the cent account's "c" is no USDC quote).
    if len(raw) != 7 or not raw[:6].isupper() or not raw[6].islower():
        return None
    name = word[:6]
    known = table.aliases.get(name) or _pair(name, table)
    if known is None and name.endswith("usd") and name[:3] in table.crypto:
        known = name.upper()
    return known


def _crypto(word: str, table: SymbolTable) -> str | None:
    # "KITEUSDT", "TAOUSDC", "ETHPERP": any base glued to a coin quote; "BTCUSD": a known base only.
    for quote in table.glued_quotes:
        base = word[: -len(quote)]
        if word.endswith(quote) and 1 <= len(base) <= _MAX_BASE and base.isalnum():
            return base.upper() + ("USDT" if quote == "perp" else quote.upper())
    if word.endswith("usd") and word[:-3] in table.crypto:
        return word.upper()
    return None


def _usd_cfd(word: str, raw: str) -> str | None:
    # "SNXUSD", "NEARUSD": an unknown coin's USD market, read only as written in capitals with a
    # base that begins with a letter ("500USD" is an amount). The broker's symbol list decides
    # later whether the account has it.
    base = raw[:-3]
    if raw.endswith("USD") and 2 <= len(base) <= _MAX_BASE and base[0].isalpha():
        return word.upper() if base.isalnum() and base.isupper() else None
    return None


def _typo(word: str, table: SymbolTable) -> str | None:
    # "XUAUSD", "GPBUSD" (two neighbouring letters swapped), "XAUUUSD" (a letter doubled): a
    # typo of a known pair, not a coin of its own (nor GP quoted in BUSD).
    if not word.endswith("usd") or len(word) not in (6, 7):
        return None
    if len(word) == 7:
        fixes = [word[:at] + word[at + 1 :] for at in range(1, 7) if word[at] == word[at - 1]]
    else:
        fixes = [word[1] + word[0] + word[2:], word[0] + word[2] + word[1] + word[3:]]
    for fixed in fixes:
        known = table.aliases.get(fixed) or _pair(fixed, table)
        if known or fixed[:3] in table.crypto:
            return known or fixed.upper()
    return None


def may_start(word: str, raw: str, table: SymbolTable) -> bool:
    """Return True when `word` can begin a symbol (or mark a perpetual) in some context."""
    return (
        word in table.starts
        or word in table.perp_markers
        or word in table.digit_prefixes
        or len(word) in (6, 7)
        or word.endswith(table.glued_quotes)
        or ticker_shaped(raw)
    )


def read_symbol(
    words: list[str], raws: list[str], gaps: list[str], at: int, table: SymbolTable
) -> Found | None:
    """Return the canonical symbol starting at token `at` and how many tokens it spans."""
    word = words[at]
    following = words[at + 1] if at + 1 < len(words) else ""
    if following.isdigit() and not gaps[at + 1] and word + following in table.aliases:
        return Found(table.aliases[word + following], 2)
    if word in table.synthetic.starts:
        found = synthetic.read(words, gaps, at, table.synthetic)
        if found is not None:
            return Found(*found)
    two = f"{word} {following}"
    if two in table.aliases:
        return Found(table.aliases[two], 2)
    if word in table.split_currencies and following in table.split_currencies and word != following:
        # "XAU/USD": the metal's pair, not the metal alone with a stray "USD" word after it
        pair = word + following
        return Found(table.aliases.get(pair, pair.upper()), 2)
    if word in table.aliases:
        return Found(table.aliases[word], 1)
    glued = (
        _broker_suffix(word, raws[at], table)
        or _pair(word, table)
        or _typo(word, table)
        or _crypto(word, table)
        or _usd_cfd(word, raws[at])
    )
    if glued:
        return Found(glued, 1)
    return _by_shape(words, raws, gaps, at, table)


def _by_shape(
    words: list[str], raws: list[str], gaps: list[str], at: int, table: SymbolTable
) -> Found | None:
    # A coin pair of any base ("APR/USDT", "FHE/ USDT", "WIF USDT"), or a bare "$ONDO" / "#BTC".
    word, raw = words[at], raws[at]
    known = word in table.crypto
    if not known and (not ticker_shaped(raw) or word in table.not_tickers):
        return None
    quote, span = _quote(words, raws, gaps, at, table)
    if quote:
        if known and quote == "usd":
            return Found(word.upper() + "USD", span)
        return Found(word.upper() + ("USDT" if quote == "perp" else quote.upper()), span)
    mark = _mark(raws, gaps, at)
    if mark in ("#", "$"):
        # "$ETH", "#BCH", "#1INCH": a marked ticker names the coin, not a broker's USD CFD (a
        # USDT market named elsewhere makes it the perp once the message is read).
        return Found(word.upper() + BARE_TICKER, 1, weak=mark == "#" and not known)
    if known and word in table.crypto_bare and (raw.isupper() or _beside_side(words, at)):
        return Found(word.upper() + BARE_CRYPTO, 1)  # "AVAX", or "avax long" in lower case
    return None


def _beside_side(words: list[str], at: int) -> bool:
    # A lower-case coin is a word of prose unless a side word stands right next to it.
    after = words[at + 1] if at + 1 < len(words) else ""
    return after in _SIDE_SUFFIXES or (at > 0 and words[at - 1] in _SIDE_SUFFIXES)


def _mark(raws: list[str], gaps: list[str], at: int) -> str:
    # The "#" or "$" glued before a ticker, or before the digits that begin it ("#1INCH").
    if at == 0 or gaps[at]:
        return ""
    before = raws[at - 1]
    if before.isdigit() and at > 1 and not gaps[at - 1]:
        before = raws[at - 2]
    return before if before in ("#", "$") else ""


def _quote(
    words: list[str], raws: list[str], gaps: list[str], at: int, table: SymbolTable
) -> tuple[str, int]:
    nxt = at + 1
    if nxt < len(words) and words[nxt] in ("/", "-") and nxt + 1 < len(words):
        nxt += 1  # "FHE/ USDT": the slash stands alone
    if nxt >= len(words) or words[nxt] not in table.crypto_quotes or words[at] == words[nxt]:
        return "", 0
    quote = words[nxt]
    slashed = nxt > at + 1 or gaps[nxt] == SLASH
    if quote in ("btc", "eth") and not (slashed and raws[nxt].isupper()):
        return "", 0  # "BTC ETH SOL": a list of coins, not the pair ETH/BTC
    return quote, nxt - at + 1


def glued_side(word: str, raw: str, table: SymbolTable) -> tuple[Found, str] | None:
    """Split "XAUUSDBUY" into its symbol and side word ("buy" or "sell"), if both are there."""
    for suffix, side in _SIDE_SUFFIXES.items():
        head = word[: -len(suffix)]
        if word.endswith(suffix) and len(head) >= 3:
            found = read_symbol([head], [raw[: len(head)]], [" "], 0, table)
            if found is not None and not found.name.endswith((BARE_CRYPTO, BARE_TICKER)):
                return found, side
    return None


def settle_crypto(symbol: str, perpetual: bool) -> str:
    """Return a bare ticker as a USDT perp (a USDT market is named) or a USD CFD / bare coin."""
    if symbol.endswith(BARE_CRYPTO):
        return symbol[:-1] + ("USDT" if perpetual else "USD")
    if symbol.endswith(BARE_TICKER):
        return symbol[:-1] + ("USDT" if perpetual else "")
    return symbol
