"""Keyword data: every language's phrases, loaded once from the JSON files beside this module."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from signal_copier.core.parsing.normalize import normalize

_MARKS = r"@:\-/_~&,;+%?#$`"  # "`" marks a sentence's end (normalised text has no other)
_EMOJI = "🎯❌✖🛑⛔🟢🔴📈📉↗↘⬆⬇🔼🔽🔻"
# What follows a token's first character: the rest of a word or a number, more "+", or nothing.
# Thai vowel and tone marks are no letters to `\w`, but belong to their word ("ซื้อ", "ปิด"); so
# do Devanagari's vowel signs, virama and nukta ("खरीदें", "गोल्ड").
_MARKS_IN_WORD = (
    "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e" + "\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
)
_WORD_REST = rf"(?<=[^\W\d_])(?:[^\W\d_]++|[{_MARKS_IN_WORD}]++)*+(?:'[^\W\d_]++)?+"
_NUM_REST = r"(?<=\d)\d*+(?:[.,]\d++)*+"
# Splitting on tokens puts the text skipped before each one at the even indexes (none skipped: the
# token is glued to the previous one). A pattern that opens with one character class lets the
# engine jump from token to token; runs and optional parts are possessive as nothing after them
# takes characters back (a greedy group keeps a backtracking state per token: 5% of the split).
TOKEN = re.compile(rf"([\w\n{_MARKS}{_EMOJI}](?:{_WORD_REST}|{_NUM_REST}|(?<=\+)\+*+|))")
# The same tokens for ASCII-only text, where plain character ranges match faster.
ASCII_TOKEN = re.compile(
    rf"([a-zA-Z0-9\n{_MARKS}](?:(?<=[a-zA-Z])[a-zA-Z]*+(?:'[a-zA-Z]++)?+"
    rf"|(?<=[0-9])[0-9]*+(?:[.,][0-9]++)*+|(?<=\+)\+*+|))"
)
REASON_PREFIX = "reason_"
# Concepts that only make a word "known" (for the follow-up whitelist) rank below real meanings.
_LOW_RANK = ("filler",)
# Words read by their neighbours (see `contextual`): a side right after a symbol ("XAUUSD SAT"), a
# symbol beside a side ("OR VENTE"); word → "buy"/"sell" or word → canonical symbol.
SIDE_AFTER_SYMBOL = "side_after_symbol"
SYMBOL_BESIDE_SIDE = "symbol_beside_side"
_NOT_PHRASES = ("language", "symbols", SIDE_AFTER_SYMBOL, SYMBOL_BESIDE_SIDE)
# Phrases whose concept is to be no concept: "closing price" is prose, not the verb "close".
_KINDS = {"prose": "w"}

Phrase = tuple[str, ...]
PhraseIndex = dict[str, list[tuple[Phrase, str]]]
# What a first word may begin: the second words of its longer phrases, and its one-word meaning.
PhraseStart = tuple[frozenset[str], tuple[str, int] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Lexicon:
    """Phrase → concept and phrase → reason tables built from every `lang_*.json`."""

    concepts: PhraseIndex
    reasons: PhraseIndex
    symbols: dict[str, str]
    words: frozenset[str]
    languages: tuple[str, ...]
    side_after_symbol: dict[str, str]
    symbol_beside_side: dict[str, str]


def split_phrase(phrase: str) -> Phrase:
    """Return the lower-case tokens of a keyword phrase, as the scanner sees them."""
    text = normalize(phrase, lambda _word: False).lower()
    return tuple(TOKEN.split(text)[1::2])


def _add(index: PhraseIndex, phrase: Phrase, value: str) -> None:
    if not phrase:
        return  # a phrase made only of characters the scanner ignores
    entries = index.setdefault(phrase[0], [])
    if any(existing == phrase for existing, _ in entries):
        return  # the first language (and higher rank) keeps the phrase
    entries.append((phrase, value))
    entries.sort(key=lambda entry: -len(entry[0]))


def _read_languages() -> list[dict[str, Any]]:
    folder = resources.files("signal_copier.core.parsing")
    names = sorted(p.name for p in folder.iterdir() if p.name.startswith("lang_"))
    names.sort(key=lambda name: name != "lang_en.json")
    return [json.loads(folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


def _load() -> Lexicon:
    # Build the lexicon from the package's language files.
    languages = _read_languages()
    concepts: PhraseIndex = {}
    reasons: PhraseIndex = {}
    symbols: dict[str, str] = {}
    for low in (False, True):  # low-ranked concepts ("filler") go in after the real meanings
        for key, phrase in _phrases(languages, _ranked(low)):
            _add(concepts, phrase, _KINDS.get(key, key))
    for key, phrase in _phrases(languages, None, reasons=True):
        _add(reasons, phrase, key[len(REASON_PREFIX) :])
    for data in languages:
        for alias, canonical in data.get("symbols", {}).items():
            symbols[" ".join(split_phrase(alias))] = canonical
    words = frozenset(w for entries in concepts.values() for p, _ in entries for w in p)
    return Lexicon(
        concepts=concepts,
        reasons=reasons,
        symbols=symbols,
        words=words | frozenset(symbols),
        languages=tuple(str(d.get("language", "")) for d in languages),
        side_after_symbol=_merged(languages, SIDE_AFTER_SYMBOL),
        symbol_beside_side=_merged(languages, SYMBOL_BESIDE_SIDE),
    )


def _merged(languages: list[dict[str, Any]], key: str) -> dict[str, str]:
    # One word → meaning table from every language's `key` (the first language keeps a word).
    merged: dict[str, str] = {}
    for data in languages:
        for word, meaning in data.get(key, {}).items():
            merged.setdefault(" ".join(split_phrase(word)), str(meaning))
    return merged


def _ranked(low: bool) -> Callable[[str], bool]:
    return lambda key: (key in _LOW_RANK) == low


def _phrases(
    languages: list[dict[str, Any]],
    wanted: Callable[[str], bool] | None,
    *,
    reasons: bool = False,
) -> Iterator[tuple[str, Phrase]]:
    # Each (key, phrase) of the language files whose key is a concept (or, `reasons`, a reason)
    # and, when `wanted` is given, one it wants.
    for data in languages:
        for key, phrases in data.items():
            if key in _NOT_PHRASES or key.startswith(REASON_PREFIX) != reasons:
                continue
            if wanted is not None and not wanted(key):
                continue
            for phrase in phrases:
                yield key, split_phrase(phrase)


def match(index: PhraseIndex, words: list[str], start: int) -> tuple[str, int] | None:
    """Return the concept and length of the longest phrase at `words[start]`, if any."""
    entries = index.get(words[start])
    if not entries:
        return None
    following = words[start + 1] if start + 1 < len(words) else None
    for phrase, value in entries:
        size = len(phrase)
        if size == 1:
            return value, 1
        # Compare the second word first: most phrases fail there, before any slice is built.
        if phrase[1] == following and tuple(words[start : start + size]) == phrase:
            return value, size
    return None


def phrase_starts(index: PhraseIndex) -> dict[str, PhraseStart]:
    """Return what each first word may begin (the second words are a cheap pre-check)."""
    return {
        first: (
            frozenset(phrase[1] for phrase, _ in entries if len(phrase) > 1),
            next(((value, 1) for phrase, value in entries if len(phrase) == 1), None),
        )
        for first, entries in index.items()
    }


# Return the lexicon built from the package's language files, built once. Annotated rather than
# decorated: mypyc cannot type a decorated function that other modules call at import time.
load: Callable[[], Lexicon] = cache(_load)
