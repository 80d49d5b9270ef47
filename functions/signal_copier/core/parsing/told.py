"""Orders told in few words: a stop sent somewhere ("SL to 2655"), a verb-last "do it"."""

from __future__ import annotations

from signal_copier.core.parsing.tokens import Item

# The joining words of "from 2640 to 2645" (not "and", "or", "/": those join a list of levels).
CHANGED_TO = frozenset(
    {"to", "a", "à", "au", "auf", "bis", "até", "ate", "ke", "до", "إلى", "الى", "تا"}
)
# The imperative "do" of verb-last languages: "ریسک فری کنید" (make it risk free), "ctc karo".
DO = frozenset({"کنید", "کن", "بکنید", "karo", "kardo", "kar do", "karein", "kijiye", "करें", "करो"})


def stop_told(items: list[Item]) -> bool:
    """Return True when a stop label is told where to go: "SL to 2655", "stop to entry"."""
    for at, item in enumerate(items[:-1]):
        following = items[at + 1]
        if item.kind == "sl" and following.kind == "join" and following.text.lower() in CHANGED_TO:
            return True
    return False


def done_last(words: list[Item], kinds: list[str]) -> bool:
    """Return True when only fillers follow the breakeven word, one a verb-last "do"."""
    # After the breakeven word, only fillers, one of them a verb-last "do" ("… کنید لطفا").
    after = words[kinds.index("breakeven") + 1 :]
    return (
        bool(after)
        and all(word.kind == "filler" for word in after)
        and any(word.text.lower() in DO for word in after)
    )
