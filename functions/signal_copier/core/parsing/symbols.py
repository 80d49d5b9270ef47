"""Canonical symbol names from aliases, pairs written apart, hashtags and crypto tickers."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

# Bare crypto tickers resolve once the whole message is read: leverage words mean a USDT perp.
BARE_CRYPTO = "*"
QUOTE_ENDINGS = ("usdt", "usdc", "busd", "usd", "perp")


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolTable:
    """Alias, currency and crypto tables from `symbols.json` plus each language's names."""

    aliases: dict[str, str]
    currencies: frozenset[str]
    split_currencies: frozenset[str]
    crypto: frozenset[str]
    crypto_bare: frozenset[str]
    crypto_quotes: tuple[str, ...]
    perp_markers: frozenset[str]
    starts: frozenset[str]  # words that can begin a symbol (a cheap pre-check)
    digit_prefixes: frozenset[str]  # "us" in "US30", "dax" in "DAX40": a symbol once digits follow
    contextual: frozenset[str]  # words read as a symbol (or not) only with the next token


def load_table(language_aliases: dict[str, str]) -> SymbolTable:
    """Read `symbols.json` and merge the languages' symbol names into one table."""
    text = resources.files("signal_copier.core.parsing").joinpath("symbols.json").read_text("utf-8")
    data = json.loads(text)
    currencies = frozenset(data["currencies"])
    aliases = {**data["aliases"], **language_aliases}
    starts = {alias.split()[0] for alias in aliases} | currencies | frozenset(data["crypto"])
    digit_prefixes = frozenset(a.rstrip("0123456789") for a in aliases if a[-1].isdigit())
    split_currencies = currencies - frozenset(data["split_exclude"])
    two_words = {alias.split()[0] for alias in aliases if " " in alias}
    return SymbolTable(
        starts=frozenset(starts),
        digit_prefixes=digit_prefixes,
        contextual=digit_prefixes | two_words | split_currencies | frozenset(data["crypto"]),
        aliases=aliases,
        currencies=currencies,
        split_currencies=split_currencies,
        crypto=frozenset(data["crypto"]),
        crypto_bare=frozenset(data["crypto_bare"]),
        crypto_quotes=tuple(data["crypto_quotes"]),
        perp_markers=frozenset(data["perp_markers"]),
    )


def _pair(word: str, table: SymbolTable) -> str | None:
    if len(word) == 7 and word[6] == word[5]:
        word = word[:6]  # "usdchff": a doubled last letter is a common typo
    if len(word) != 6:
        return None
    base, quote = word[:3], word[3:]
    if base != quote and base in table.currencies and quote in table.currencies:
        return word.upper()
    return None


def _crypto(word: str, table: SymbolTable) -> str | None:
    if not word.endswith(QUOTE_ENDINGS):
        return None
    if word.endswith("usdt") and 2 <= len(word) - 4 <= 8:
        return word.upper()
    for quote in table.crypto_quotes:
        base = word[: -len(quote)]
        if word.endswith(quote) and base in table.crypto:
            return base.upper() + ("USDT" if quote == "perp" else quote.upper())
    return None


def may_start(word: str, table: SymbolTable) -> bool:
    """Return True when `word` can begin a symbol (or mark a perpetual) in some context."""
    return (
        word in table.starts
        or word in table.perp_markers
        or word in table.digit_prefixes
        or len(word) in (6, 7)
        or word.endswith(QUOTE_ENDINGS)
    )


def cannot_start(words: list[str], gaps: list[str], at: int, table: SymbolTable) -> bool:
    """Return True when no symbol can begin at token `at` (a cheap pre-check)."""
    word = words[at]
    if word in table.starts or len(word) in (6, 7) or word.endswith(QUOTE_ENDINGS):
        return False
    return not (at + 1 < len(words) and not gaps[at + 1] and words[at + 1].isdigit())


def read_symbol(
    words: list[str], raws: list[str], gaps: list[str], at: int, table: SymbolTable
) -> tuple[str, int] | None:
    """Return the canonical symbol starting at token `at` and how many tokens it spans."""
    word = words[at]
    if cannot_start(words, gaps, at, table):
        return None
    following = words[at + 1] if at + 1 < len(words) else ""
    if following.isdigit() and not gaps[at + 1] and word + following in table.aliases:
        return table.aliases[word + following], 2
    two = f"{word} {following}"
    if two in table.aliases:
        return table.aliases[two], 2
    if word in table.aliases:
        return table.aliases[word], 1
    found = _pair(word, table) or _crypto(word, table)
    if found:
        return found, 1
    currencies = table.split_currencies
    if word in currencies and following in currencies and word != following:
        return (word + following).upper(), 2
    if word in table.crypto and following in table.crypto_quotes:
        return _crypto(word + following, table) or word.upper() + following.upper(), 2
    hashed = at > 0 and not gaps[at] and raws[at - 1] in "#$"
    if word in table.crypto_bare and (raws[at].isupper() or hashed):
        return word.upper() + BARE_CRYPTO, 1
    return None


def settle_crypto(symbol: str, perpetual: bool) -> str:
    """Return a bare crypto ticker as a USDT perp (leverage written) or a USD CFD."""
    if not symbol.endswith(BARE_CRYPTO):
        return symbol
    return symbol[:-1] + ("USDT" if perpetual else "USD")
