"""How much of a position a close asks for: all, a half, a percent, a written fraction."""

from __future__ import annotations

import re
from decimal import Decimal
from itertools import pairwise

from signal_copier.core.parsing.tokens import Item

_HUNDRED = Decimal(100)
_ORDINALS = frozenset({"first", "second", "last", "early"})
_TEN = Decimal(10)
_ONE = Decimal(1)
_LOT_SHAPE = re.compile(r"0?\.\d{1,2}")
_PARTIAL = re.compile(r"(?i)parcial|partial")
_REST = frozenset({"remaining", "rest", "remainder", "balance"})
_QUIET = frozenset({"nl", "p", "list"})
_SHARE_TAIL = frozenset({"off", "profit", "profits", "now", "here"})  # "25% off", "30% profit now"
_OVER = frozenset({"/", "of"})  # "1/3", "1 of 3"
# "…, leave 0.01 running", "keep a runner", "let 20% run": a part of the position stays open.
_KEEP = frozenset({"leave", "keep", "let", "hold"})
_SOME = frozenset({"runner", "runners", "some", "little", "part", "bit", "one"})
_BEFORE_SIZE = frozenset({"filler", "join", "p", "list"})  # "leave a runner", "keep the last"
_KEEP_REACH = 3
_PROFIT = frozenset({"profit", "profits", "munafa", "lucro", "ganancia", "ganancias"})
KEPT_UNSIZED = Decimal(-1)  # a part kept whose share is not said


def share_of(items: list[Item]) -> Decimal:
    """Return the share of a position a close asks for: "half", "25%", "1/3", "partials"."""
    written = written_share(items)
    if written is not None:
        return written
    kinds = {item.kind for item in items}
    partial = "partial" in kinds or _partial_verb(items) or _some_entries(items)
    return Decimal("0.5") if partial or lots_named(items) is not None else Decimal(1)


def lots_named(items: list[Item]) -> Decimal | None:
    """Return the channel's own lots a partial close names ("Close 0.3 lots"), or None.

    Its share is half (see share_of) unless the signal says the channel's lot size: then the
    close takes that part of what the user opened (core/followups).
    """
    if written_share(items) is not None:
        return None
    return _in_lots(items)


def written_share(items: list[Item]) -> Decimal | None:
    """Return the share a close writes ("half", "25%", "1/3"), or None when it writes none."""
    kinds = {item.kind for item in items}
    if "half" in kinds:
        return Decimal("0.5")
    if "quarter" in kinds:
        return Decimal("0.25")
    if "third" in kinds:
        return _ONE / 3
    for at, item in enumerate(items):
        if item.kind == "num" and item.unit == "pct" and 0 < item.value <= _HUNDRED:
            return item.value / _HUNDRED
        if item.kind == "num" and item.raw.isdigit() and at + 2 < len(items):
            share = _share(item, items[at + 1], _after_fillers(items, at + 2))
            if share is not None:
                return share
    return None


def _after_fillers(items: list[Item], at: int) -> Item:
    # "Close 2 of your 4 gold positions": the count after "of" and its determiners.
    while at + 1 < len(items) and items[at].kind == "filler":
        at += 1
    return items[at]


def kept(items: list[Item]) -> Decimal | None:
    """Return the share a close's aside keeps running ("…, leave 20% running"), or None.

    A part kept that is no share ("leave 0.01 running", "leave a runner", "keep some") is
    KEPT_UNSIZED: how much of the user's position that is cannot be known here.
    """
    for at, item in enumerate(items):
        if item.text.lower() not in _KEEP:
            continue
        for size in items[at + 1 : at + 1 + _KEEP_REACH]:
            if size.kind == "num":
                if size.unit == "pct" and 0 < size.value < _HUNDRED:
                    return size.value / _HUNDRED
                return KEPT_UNSIZED
            if size.kind in ("lot", "unsized", "partial") or size.text.lower() in _SOME:
                return KEPT_UNSIZED
            if size.kind not in _BEFORE_SIZE:
                break
    return None


def share_before(lead: list[Item]) -> Item | None:
    """Return the percent written right before a close verb ("50% book karo"), or None.

    A verb-last close ("30% profit book karo") writes its share before the verb, or before the
    word that says it is profit taken.
    """
    for item in reversed(lead):
        if item.kind == "num" and item.unit == "pct":
            return item
        if item.kind != "filler" and item.text.lower() not in _PROFIT:
            return None
    return None


def share_aside(items: list[Item]) -> Decimal | None:
    """Return the share a clause of its own gives a partial close ("…, 25% off"), or None."""
    words = [item for item in items if item.kind not in _QUIET]
    if not words or words[0].kind != "num" or words[0].unit != "pct":
        return None
    if any(word.text.lower() not in _SHARE_TAIL for word in words[1:]):
        return None  # "…, 25% of the account at risk": more than a share
    return written_share(words[:1])


def _in_lots(items: list[Item]) -> Decimal | None:
    # "Close 0.5 lots": a size in the channel's own lots, whose position size is not known here,
    # is a part of the trade (read as an unsized partial), never the whole of it. So is a bare
    # "Close 0.5": a lot size with one or two decimals below 1 (never a price such as 0.6600).
    for at, (first, second) in enumerate(pairwise(items)):
        if first.kind == "num" and second.kind == "lot":
            # "Close the remaining 0.7 lots": all that is left, no part
            return None if _the_rest(items[:at]) else first.value
        if first.kind == "close" and _lot_size(second):
            return second.value
    return None


def _the_rest(before: list[Item]) -> bool:
    # "the remaining", "the rest of the": the lots named are what is left of the position
    start = next((at for at, item in enumerate(before) if item.kind == "close"), None)
    return start is not None and any(
        item.text.lower() in _REST for item in before[start + 1 :] if item.kind == "filler"
    )


def _lot_size(item: Item) -> bool:
    shaped = item.kind == "num" and not item.unit and _LOT_SHAPE.fullmatch(item.raw) is not None
    return shaped and 0 < item.value < 1


def _partial_verb(items: list[Item]) -> bool:
    # "Take partials", "Faça uma parcial": a close phrase that itself says only a part is closed.
    return any(item.kind == "close" and _PARTIAL.search(item.text) is not None for item in items)


def _some_entries(items: list[Item]) -> bool:
    # "Close your first entries": the object is some of a layered trade's entries, a part whose
    # size is not said, read as a partial close ("close at entry" names a price, not an object).
    at = next((i for i, item in enumerate(items) if item.kind == "close"), len(items))
    ordinal = False
    for item in items[at + 1 :]:
        if item.kind == "filler" or (item.kind == "num" and item.unit == "ord"):
            ordinal |= item.unit == "ord" or item.text.lower() in _ORDINALS
        else:
            return ordinal and item.kind == "entry"
    return False


def _share(top: Item, mark: Item, bottom: Item) -> Decimal | None:
    # "Close 1/2", "close 1/3": a written fraction of the position; "Close 3 of 4 positions":
    # that many of its positions, the others kept running (never all of them).
    if mark.text.lower() not in _OVER or bottom.kind != "num" or not bottom.raw.isdigit():
        return None
    if 0 < top.value < bottom.value <= _TEN:
        return top.value / bottom.value
    return None
