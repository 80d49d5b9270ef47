"""A re-entry: "Buy again, same SL and TP", "Add more at 2645", "Re-enter ✅ SL 1.0810 TP 1.0900".

It is read as a REENTER command, never as an opening and never as a change to the open trade:
the engine finds the signal it refers to (the reply, or the channel's latest signal, by the
follow-ups' rules) and opens a new trade from it (core/reentry.py). Only an instruction counts:
conditional or future wording ("we may look to re-enter", "if price comes back we'll add"),
a negation, a question, an explanation ("Reason for re-entry: …") or a result ("re-entered
and hit TP1 ✅") is nothing, and so is a re-entry that names both sides.
"""

from __future__ import annotations

import re

from signal_copier.core.model import Action, Command, OrderType, Parse, Scope, Side
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.tokens import Item

# Told to enter again: re-enter/re-entry/rebuy, buy/sell/long/short (gold) again, enter again,
# add more, buy/sell more, add buys/sells, add another/a second entry, entry again, double up.
_TRIGGER = re.compile(
    r"\bre[- ]?(?:enter|entry|buy|sell)\b"
    r"|\b(?:buy|sell|long|short|enter)(?:\s+\w+)?\s+again\b"
    r"|\b(?:add|buy|sell)\s+more\b"
    r"|\badd\s+(?:buys?|sells?|longs?|shorts?)\b"
    r"|\badd\s+(?:another|a\s+second|second|2nd)\s+(?:entry|position|buy|sell|order)\b"
    # "Entry again 2650 same SL/TP", "Second entry 2645", "Double up at 2640"
    r"|\bentry\s+again\b|^\W*(?:second|2nd)\s+entry\b|\bdouble\s+up\b"
    # Hinglish/Urdu "dobara buy karo" (buy again), German "nochmal verkaufen" (sell again)
    r"|\bdobara\s+(?:buy|sell|entry|enter)\b|\b(?:buy|sell|entry)\s+dobara\b"
    r"|\b(?:nochmal|nochmals|erneut)\s+(?:kaufen|verkaufen|einsteigen)\b|\bnachkaufen\b"
    # Indonesian/Malay "tambah posisi di 2646" (add to the position at 2646), "tambah lagi"
    r"|\btambah\s+(?:posisi|lagi|entry|beli|jual|buy|sell)\b",
    re.IGNORECASE,
)
# Not an instruction now: a condition, the future, a negation, a wait or a question.
_NOT_NOW = re.compile(
    r"\?|['’]ll\b|\b(?:if|may|might|could|would|will|shall|maybe|perhaps|possibly|probably|likely"
    r"|plan|planning|consider|considering|look|looking|wait|waiting|watch|watching|when|once"
    r"|unless|later|soon|tomorrow|next|expect|expecting|prepare|ready|should|don['’]?t|not|yet"
    r"|no|never|avoid"
    # the same in the re-entry wordings read above: Hinglish/Urdu, German and Indonesian
    r"|agar|jab|shayad|baad|intezar|karenge|lenge|karein\s+ge|nahi|mat"
    r"|wenn|falls|sobald|vielleicht|später|spaeter|warten|werden|werde|nicht|kein|keine"
    r"|jika|kalau|bila|nanti|besok|tunggu|jangan|tidak|belum|mungkin|akan)\b",
    re.IGNORECASE,
)
# An explanation, not an order: "Reason for Reentry BUYS: - 1HR low swept …", "why we re-entered".
_WHY = re.compile(
    r"\b(?:reasons?|why|because|rationale|explanation|analysis|confluences?)\b", re.IGNORECASE
)
# A report of what happened, not an order: past tense, a hit, a profit, a count of pips.
_RESULT = re.compile(
    r"\b(?:re-?entered|hit|hits|reached|closed|profits?|pips?|secured|booked|running|smashed"
    r"|bagged|gained|won|lost|done)\b",
    re.IGNORECASE,
)
_SAID = re.compile(r"(?:\b|(?<=re)|(?<=re-)|(?<=re ))(buy|sell|long|short)s?\b", re.IGNORECASE)
_BUYS = frozenset({"buy", "long"})
MEANS = (
    "re-entry: a new trade on the signal it replies to (or the channel's latest signal); "
    "the symbol, side, SL and TPs it does not write are that signal's; at market unless it "
    "names an entry; the signal's own trade is left as it is"
)
_NOT_READ = "it speaks of entering again, but not as an instruction for now: not read"
_BOTH_SIDES = "a re-entry naming both sides: not read"


def read_reentry(text: str, items: list[Item], blocks: list[Block]) -> Parse | None:
    """Return a re-entry instruction as a REENTER command, nothing if it is not one, else None.

    None: the text does not speak of entering again (other readings apply). A Parse with no
    command: it does, but conditionally, as a result or contradicting itself.
    """
    found = _TRIGGER.search(text)
    if found is None or _add_level(text, found) or _OTHER_ORDER.search(text):
        return None
    if _NOT_NOW.search(text) or _RESULT.search(text) or _WHY.search(text) or len(blocks) > 1:
        return Parse(reason="commentary", explain=(_NOT_READ,))
    block = blocks[0] if blocks else Block()
    sides = set(block.sides)
    said = _SAID.search(found.group(0))  # "rebuy", "re-sell": the side is in the word itself
    if said is not None:
        sides.add(Side.BUY if said.group(1).lower() in _BUYS else Side.SELL)
    if len(sides) > 1:
        return Parse(reason="ambiguous", explain=(*block.explain, _BOTH_SIDES))
    if block.sl_pips is not None or block.tp_pips:
        return Parse(reason="commentary", explain=(*block.explain, _NOT_READ))
    order_type = block.order_type or (OrderType.MARKET if block.market else None)
    command = Command(
        action=Action.REENTER,
        scope=Scope.REPLY,
        symbol=block.symbol,
        side=next(iter(sides), None),
        sl=block.sl,
        tps=tuple(block.tps),
        entry=block.entry,
        entry_range=block.entry_range,
        order_type=order_type,
    )
    lines = [f'"{found.group(0)}" → re-entry', *block.explain, MEANS]
    return Parse(command=command, reason="reenter", explain=tuple(lines))


# Another instruction beside it ("Close half and re-enter", "move SL to entry"): read as that
# follow-up (re-entering is not done then), never as a re-entry that drops the other order.
_OTHER_ORDER = re.compile(
    r"\b(?:close|closing|cancel|exit|cut|book|secure|move|trail|shift|breakeven|be"
    r"|tutup|batal|batalkan|hapus|geser|pindahkan|naikkan)\b",
    re.IGNORECASE,
)
_LEVEL_WORD = re.compile(r"\s*(?:sl|tp\d*|stop|target|take\s*profit)\b", re.IGNORECASE)


def _add_level(text: str, found: re.Match[str]) -> bool:
    # "Add more TP 2680": a level to add to the open trade, not a new entry.
    return _LEVEL_WORD.match(text, found.end()) is not None
