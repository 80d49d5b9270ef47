"""Message-wide cues that decide how much structure an opening needs."""

from __future__ import annotations

from collections.abc import Set
from itertools import pairwise
from typing import NamedTuple

from signal_copier.core.parsing.tokens import LEXICON, Item, Scan

_COMMAND_WORDS = frozenset({"close", "closed", "cancel", "move", "hit", "breakeven"})
_LEADING_COMMANDS = frozenset({"close", "closed", "cancel", "move", "hit"})
_HEDGES = frozenset({"hedge", "conditional"})
_LEVELS = frozenset({"sl", "tp"})
_SILENT = frozenset({"num", "nl", "p", "date", "join", "list", "sym"})
SIDE_WORDS = frozenset(
    f"{side}{order}" for side in ("buy", "sell") for order in ("", "_limit", "_stop")
)
_UNDOING = frozenset({"conditional", "negation"})
_UNDOING_OR_IDEA = _UNDOING | {"hedge"}
_CLAUSE_DONE = frozenset({"nl", "p", "sl", "tp"})  # the entry's clause is over
# Hedges that make the side's own clause an idea rather than an order ("will" and "looking" do not:
# "Gold will fly, BUY NOW ..."; "I would sell gold at 2665 …" is an opinion).
_IDEAS = frozenset(
    {"idea", "possible", "potential", "could", "might", "may", "maybe", "expect", "expecting"}
    | {"would"}
    | {"watch", "watching", "analysis", "outlook", "scenario", "forecast", "prediction"}
)
_REPORTS = frozenset({"closed", "recap"})  # "closed +50 pips", "yesterday's results"
# "activated", "triggered": a pending order filled, which says nothing against the signal.
_STATUS = frozenset(
    " ".join(phrase)
    for entries in LEXICON.reasons.values()
    for phrase, reason in entries
    if reason == "status"
)


class Context(NamedTuple):
    """What the whole message says besides its levels."""

    hedged: bool  # "if", "could", "idea", "market update": trade ideas, not orders
    veto: bool  # "this is not a signal", "lesson 3: ..."
    command_words: bool  # close/move/hit/breakeven somewhere in the text
    leading_command: bool  # the first word is a follow-up verb
    plain: bool  # every word is known, nothing negated, no question
    report: bool  # "TP2 hit", "closed", "yesterday": a result told, not a trade to open
    conditional: bool  # "if 2670 breaks, BUY ...", "don't SELL": the side is not told
    asked: bool  # "Gold buy now?": the side is a question
    gain: bool  # "+50 pips": a result unless the signal gives its stop
    stopped: bool  # "do not enter", "… — cancelled": the message says not to take the signal


def read_context(scan: Scan, labels: Set[int] = frozenset()) -> Context:
    """Return the cues of a scanned message (`labels`: words the reader took as level labels)."""
    items = scan.items
    present = (
        {item.kind for at, item in enumerate(items) if at not in labels}
        if labels
        else {item.kind for item in items}
    )
    first = ""
    for item in items:
        if item.kind not in _SILENT:
            first = item.kind
            break
    hedged = not present.isdisjoint(_HEDGES)
    veto = "veto" in present
    # "New TP for gold sell: 2642" changes a level of an open trade: never a new trade's entry.
    renamed = "new" in present and _new_level(items)
    command_words = renamed or not present.isdisjoint(_COMMAND_WORDS)
    leading_command = first in _LEADING_COMMANDS or (first == "new" and renamed)
    plain = not scan.question and "w" not in present and "negation" not in present
    report = not present.isdisjoint(_REPORTS) or ("hit" in present and _hit_told(items))
    conditional = not present.isdisjoint(_UNDOING_OR_IDEA) and _side_undone(items)
    asked = any(_side_on_line(items, at) for at in scan.asks) if scan.asks else False
    # A stop needs a cancel, or a negation before an entry word.
    stoppable = "cancel" in present or ("negation" in present and "entry" in present)
    stopped = stoppable and _stopped(items)
    # Built from a tuple in the fields' order: a NamedTuple called with keywords costs 5x more.
    return Context._make(
        (
            *(hedged, veto, command_words, leading_command, plain, report, conditional, asked),
            *(scan.gain, stopped),
        )
    )


def _new_level(items: list[Item]) -> bool:
    # "new" right before a stop or target label: the provider names a level's new value.
    return any(
        item.kind == "new" and following.kind in _LEVELS for item, following in pairwise(items)
    )


def _hit_told(items: list[Item]) -> bool:
    # "TP2 hit", "target 1.0820 achieved", "SL hit": a target or stop reported as reached.
    # "If TP1 hit, move SL to BE" on a line of its own is a plan, not a report.
    # "+200 pips secured": a hit right after a pip figure reports it too.
    labelled = conditioned = pipped = False
    for item in items:
        kind = item.kind
        if kind == "nl":
            labelled = conditioned = False
        elif kind == "p":
            conditioned = False  # "… TP 2660. Cancel if 2660 is reached before entry": a plan
        elif kind == "conditional":
            conditioned = True
        elif kind in ("sl", "tp"):
            labelled = not conditioned
        elif kind == "hit" and not conditioned and (pipped or _told(item, labelled)):
            return True
        pipped = kind == "num" and item.unit == "pips"
    return False


def _told(hit: Item, labelled: bool) -> bool:
    # "TP2 hit", "target reached": a hit after a level's label, or a phrase ("stopped out");
    # "activated" and the like tell a pending order's status, not a result.
    return (labelled or " " in hit.text) and hit.text.lower() not in _STATUS


def _side_undone(items: list[Item]) -> bool:
    # "If gold breaks 2670, buy ...": the side only holds once the condition is met; so too
    # "Buy gold between 2310 and 2315 if price dips, SL ..." (a condition before the exits), and
    # "EURUSD long idea for next week, entry ..." (an idea, told in the side's own clause).
    # "Don't SELL GOLD 2668 ...": the first side is negated.
    before, idea = "", False
    for at, item in enumerate(items):
        kind = item.kind
        if kind == "hedge" and item.text.lower() in _IDEAS:
            idea = True
        elif kind in SIDE_WORDS:
            return before == "negation" or idea or _clause_undone(items, at + 1)
        elif kind == "conditional":
            return True
        elif kind == "nl":
            idea = False
        if kind != "filler":
            before = kind
    return False


def _clause_undone(items: list[Item], start: int) -> bool:
    # The rest of the side's own clause: an idea or a condition in it undoes the side.
    for item in items[start:]:
        kind = item.kind
        if kind == "hedge" and item.text.lower() in _IDEAS:
            return True
        if kind in _CLAUSE_DONE:
            return False
        if kind == "conditional":
            return True
    return False


def _stopped(items: list[Item]) -> bool:
    # "Do not enter: GOLD BUY …", "GOLD BUY … — cancelled": a negated entry, or a cancel told
    # after the side in a clause with no condition ("cancel if TP1 comes first" is a plan). A
    # negated side is advice ("Don't buy early!", "Don't buy now, trend is down" under a SELL).
    before, sided = "", False
    for at, item in enumerate(items):
        kind = item.kind
        if kind == "filler":
            continue
        if before == "negation" and kind == "entry" and not _timing_advice(items, at):
            return True
        if kind == "cancel" and sided and not _conditioned(items, at):
            return True
        sided |= kind in SIDE_WORDS
        before = kind
    return False


_TIMING = frozenset({"early", "before", "above", "below", "late", "chase"})


def _timing_advice(items: list[Item], at: int) -> bool:
    # "Don't enter early", "do not enter before 2650": when to enter, not whether to.
    return any(item.text.lower() in _TIMING for item in items[at + 1 : at + 3])


def _conditioned(items: list[Item], at: int) -> bool:
    # The clause around items[at] (between line or sentence ends) holds a condition.
    start = at
    while start > 0 and items[start - 1].kind not in ("nl", "p"):
        start -= 1
    end = at
    while end < len(items) and items[end].kind not in ("nl", "p"):
        end += 1
    return any(item.kind == "conditional" for item in items[start:end])


def _side_on_line(items: list[Item], at: int) -> bool:
    # "Gold buy now? 2650 SL 2640 ...", "Re-entry? Gold buy 2645 …": a question asked on the
    # line that names the side, before or after it.
    for run in (reversed(items[:at]), items[at:]):
        for item in run:
            if item.kind == "nl":
                break
            if item.kind in SIDE_WORDS:
                return True
    return False
