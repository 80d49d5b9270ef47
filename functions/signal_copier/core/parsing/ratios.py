"""Risk:reward ratios beside targets ("TP 1.0900 RR 1:1.5", "0.46 R:R"): never a level."""

from __future__ import annotations

import re

# "TP1: 0.46 R:R", "1:2 RR": the number is a risk:reward ratio, never a level.
RATIO = frozenset({"r", "rr"})
# A side of a ratio written out: "1", "2", "1.5", "3.33" (never a price's many decimals).
RATIO_TERM = re.compile(r"\d{1,2}(?:\.\d{1,2})?")
RATIO_BEFORE = RATIO | {":"}  # a word right before a number that may make it a ratio's


class RatioScanner:
    """The ratio-reading base of the number scanner (it shares the scanner's token lists)."""

    words: list[str]
    gaps: list[str]

    def _ratio_end(self, nxt: int) -> int:
        # "RR", or "R:R" written without spaces: where the ratio's name ends (0: not one, or the
        # ratio is written after its name: "TP 2630 RR 1:2" leaves 2630 a target).
        words, gaps = self.words, self.gaps
        end = 0
        if words[nxt] == "rr":
            end = nxt + 1
        elif nxt + 2 < len(words) and words[nxt + 1] == ":" and words[nxt + 2] == "r":
            end = nxt + 3 if not gaps[nxt + 1] and not gaps[nxt + 2] else 0
        return 0 if end and self._term_at(end) else end

    def _term_at(self, at: int) -> bool:
        # "1:2", "1.5" (after an optional ":"): a ratio's value right after its name.
        words = self.words
        if at < len(words) and words[at] == ":":
            at += 1
        return at < len(words) and RATIO_TERM.fullmatch(words[at]) is not None

    def _ratio_at(self, at: int) -> bool:
        # "1:2", "1:1.5" (after an optional ":"): two numbers glued by a colon, a ratio written out.
        words, gaps = self.words, self.gaps
        if at < len(words) and words[at] == ":":
            at += 1
        last = at + 2
        return (
            last < len(words)
            and RATIO_TERM.fullmatch(words[at]) is not None
            and words[at + 1] == ":"
            and RATIO_TERM.fullmatch(words[last]) is not None
            and not gaps[at + 1]
            and not gaps[last]
        )

    def _named_ratio(self, at: int, after_ratio: bool) -> bool:
        # "RR 1:2", "R:R: 1:3", "(1:2 RR)": the numbers of a ratio beside its name are no levels.
        # `after_ratio`: the number before this one was read as a ratio's.
        words = self.words
        if self._ratio_at(at) and at + 3 < len(words) and words[at + 3] in RATIO:
            return True  # the "1" of "1:2 RR" (the "2" has the name after it)
        back = at - 1
        if back > 0 and words[back] == ":" and not self.gaps[at] and after_ratio:
            return True  # the "2" of "1:2"
        if back > 0 and words[back] == ":" and words[back - 1] in RATIO:
            back -= 1  # "RR: 1:2"
        if back < 0 or words[back] not in RATIO:
            return False
        return self._ratio_at(at) or self._spelled_ratio(back)

    def _spelled_ratio(self, end: int) -> bool:
        # "RR 2", "R:R 1.5": a name no level is written beside, so the number alone is the ratio
        # (a lone "R" may name a resistance: only "R 1:2" is a ratio after it).
        words, gaps = self.words, self.gaps
        if words[end] == "rr":
            return True
        return (
            end > 1
            and words[end - 1] == ":"
            and words[end - 2] == "r"
            and not gaps[end]
            and not gaps[end - 1]
        )
