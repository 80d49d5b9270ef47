"""Deriv's derived indices by family word and size: "V75", "Volatility 75 (1s) Index"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_INDEX = "index"


@dataclass(frozen=True, slots=True)
class Family:
    """One family of indices: the words that name it, its sizes, and its canonical names."""

    words: tuple[str, ...]  # the family's name as tokens: ("range", "break")
    glued_only: bool  # "V75" but never "V 75"
    sizes: frozenset[int]
    fast_sizes: frozenset[int]  # sizes that exist as a one-tick-a-second "(1s)" index
    name: str
    fast_name: str


@dataclass(frozen=True, slots=True)
class Families:
    """Every family, by the first word of its name."""

    by_start: dict[str, tuple[Family, ...]]
    starts: frozenset[str]
    names: tuple[str, ...]  # every canonical name the families can produce


def families(data: dict[str, Any]) -> Families:
    """Build the families from the `synthetic` section of symbols.json."""
    by_start: dict[str, list[Family]] = {}
    names: list[str] = []
    for spec in data.values():
        for words in spec["words"]:
            family = Family(
                words=tuple(words.split()),
                glued_only=words in spec.get("glued_only", ()),
                sizes=frozenset(spec["sizes"]),
                fast_sizes=frozenset(spec.get("fast_sizes", ())),
                name=spec["name"],
                fast_name=spec.get("fast_name", ""),
            )
            by_start.setdefault(family.words[0], []).append(family)
        names += [spec["name"].format(n=n) for n in spec["sizes"]] or [spec["name"]]
        names += [spec["fast_name"].format(n=n) for n in spec.get("fast_sizes", ())]
    return Families(
        by_start={word: tuple(found) for word, found in by_start.items()},
        starts=frozenset(by_start),
        names=tuple(dict.fromkeys(names)),
    )


def read(words: list[str], gaps: list[str], at: int, table: Families) -> tuple[str, int] | None:
    """Return the canonical index named at token `at` and the tokens it spans, if one is."""
    for family in table.by_start.get(words[at], ()):
        end = at + len(family.words)
        if tuple(words[at:end]) != family.words:
            continue
        if not family.sizes:  # "Step Index": the family word and "index" only
            return family.name, len(family.words)
        found = _sized(words, gaps, end, family)
        if found is not None:
            return found[0], found[1] - at
    return None


def _sized(words: list[str], gaps: list[str], at: int, family: Family) -> tuple[str, int] | None:
    if at >= len(words) or not words[at].isdigit() or (family.glued_only and gaps[at]):
        return None
    size, end = int(words[at]), at + 1
    fast = _one_second(words, gaps, end)
    if fast:
        end += 2
    if end < len(words) and words[end] == _INDEX:
        end += 1
    if fast and size in family.fast_sizes:
        return family.fast_name.format(n=size), end
    if not fast and size in family.sizes:
        return family.name.format(n=size), end
    return None


def _one_second(words: list[str], gaps: list[str], at: int) -> bool:
    # "(1s)" or "1S" after the size: tokens "1" and "s", glued to each other.
    return at + 1 < len(words) and words[at] == "1" and words[at + 1] == "s" and not gaps[at + 1]
