"""Words of scripts written without spaces (Chinese, Japanese, Thai), split at the lexicon's words.

"黄金买入2650" and "ปิดครึ่ง" hold several words and no space: each run of such letters is read
left to right, the longest known word at each place set apart by spaces; letters that begin no
known word stay together as one unknown word ("แรงขาย" keeps "แรง" as a word of its own).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# Thai, Japanese kana, CJK ideographs (with extension A and the compatibility block).
_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(f"[{_UNSPACED}]+")


def has_unspaced(text: str) -> bool:
    """Return True when `text` holds letters of a script written without spaces."""
    return _RUN.search(text) is not None


class Segmenter:
    """Splits unspaced runs at a fixed set of known words (the lexicon's, for the scanner)."""

    def __init__(self, words: Iterable[str]) -> None:
        self._words = frozenset(w for w in words if _RUN.fullmatch(w))
        lengths: dict[str, set[int]] = {}
        for word in self._words:
            lengths.setdefault(word[0], set()).add(len(word))
        # Per first letter, the lengths of its words, longest first: most letters begin none.
        self._lengths = {first: sorted(sizes, reverse=True) for first, sizes in lengths.items()}

    def __call__(self, text: str) -> str:
        """Return `text` with every known word of its unspaced runs set apart by spaces."""
        return _RUN.sub(self._split, text)

    def _split(self, found: re.Match[str]) -> str:
        run = found.group()
        parts: list[str] = []
        at, size = 0, len(run)
        while at < size:
            length = self._longest(run, at)
            if length:
                parts.append(f" {run[at : at + length]} ")
                at += length
            else:
                parts.append(run[at])
                at += 1
        return "".join(parts)

    def _longest(self, run: str, at: int) -> int:
        # The length of the longest known word at `at`, or 0.
        for length in self._lengths.get(run[at], ()):
            if run[at : at + length] in self._words:
                return length
        return 0
