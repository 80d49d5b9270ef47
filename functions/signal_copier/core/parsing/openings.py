"""Turn a block of levels into a checked opening Signal, or say why it is not one."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from operator import gt, lt

from signal_copier.core.model import OrderType, Side, Signal
from signal_copier.core.parsing import prose, settle
from signal_copier.core.parsing.context import Context
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.numbers import near, off_scale

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
# Enum members held here: looked up on their class, each costs a thousand instructions a signal.
_BUY, _MARKET = Side.BUY, OrderType.MARKET
AMBIGUOUS = "ambiguous"  # two instruments or two sides compete: refused, never guessed
_WRONG_SIDE = frozenset({"sl_wrong_side", "tp_wrong_side"})
# Refusals that words on other lines may cause; a follow-up or a missing side never lifts.
_LIFTABLE = frozenset({"analysis", "result", "commentary", "incomplete"})


def _side(block: Block) -> tuple[Side | None, bool, str]:
    if len(block.sides) == 1:  # the common case: one side, named by a word or not
        ((side, word),) = block.sides.items()
        return side, word, ""
    strong = {side for side, word in block.sides.items() if word}
    if len(strong) > 1:
        return None, False, AMBIGUOUS
    if strong:
        return strong.pop(), True, ""
    return None, False, "no_side" if not block.sides else AMBIGUOUS


def _zone(block: Block) -> None:
    # "BUY NOW: 2318 2314", "Entry Targets: 1) 61200.5 2) 59850.0": two entry prices side by side
    # are the zone's two edges, once labelled exits show the levels are read.
    exits = block.sl is not None or block.tps
    if block.entry is None or len(block.extra_entries) != 1 or not exits:
        return
    if block.entry_pair or block.entry_list:
        other = block.extra_entries.pop()
        block.entry_range = (min(block.entry, other), max(block.entry, other))
        block.explain.append(f'"{block.entry} {other}" → entry_range (two edges)')
        block.entry = None


def _refusal(block: Block, context: Context, strong: bool) -> str:
    has_entry = block.entry is not None or block.entry_range is not None
    full = has_entry and block.sl is not None and bool(block.tps)
    if context.stopped:
        return "status"  # the message itself says not to take it
    # "Gold analysis: bullish above 2650, targets …": hedged prose with no side word is a view.
    if context.veto or context.conditional or (context.hedged and not strong):
        return "analysis"
    if context.report or (context.gain and block.sl is None and block.sl_pips is None):
        return "result"
    if context.asked:
        return "commentary"
    if context.leading_command:
        return "follow_up"
    if (context.hedged or context.command_words) and not full:
        return "analysis" if context.hedged else "follow_up"
    if not block.has_exits and not (context.plain and (has_entry or block.market)):
        return "incomplete"
    if block.sl is None and block.sl_pips is None and not context.plain:
        return "incomplete"  # no stop, and words we cannot read: a target list, not a signal
    if not strong and not (block.sl is not None and block.tps and (has_entry or block.market)):
        return "no_side"
    return ""


def _positional(block: Block, side: Side) -> None:
    # Three bare prices after the side: accept them as entry, SL, TP only when they agree.
    if not block.positional:
        return  # the common case: the prices after the side were labelled
    if block.has_exits or len(block.extra_entries) != 2 or block.entry is None:
        return
    sl, tp = block.extra_entries
    if (block.entry - sl) * side.sign > 0 and (tp - block.entry) * side.sign > 0:
        block.sl, block.tps, block.extra_entries = sl, [tp], []
        block.explain.append(f'"{sl} {tp}" → sl={sl}, tp1={tp} (by position)')


def _clean(block: Block) -> tuple[str, ...]:
    # An entry or TP a power of ten off the reference is a typo to show ("6.6000" for 0.6600): keep
    # and flag it. Any other of another magnitude is no price at all (an id, a count): drop it.
    entry = _reference(block)
    levels = _levels(block, entry)
    if len(levels) < 2:
        return ()
    low = min(levels)
    if low > _ZERO and max(levels) <= low + low:  # Decimals only: an int is converted each time
        return ()  # every level is near every other
    support = [sum(1 for other in levels if near(other, level)) for level in levels]
    reference = levels[support.index(max(support))]
    found: list[str] = []
    if entry is not None and not near(entry, reference):
        if block.entry_range is not None or off_scale(entry, reference):
            found.append("entry_off_scale")  # a zone is two prices, never an id: keep it too
        elif _tails(entry, block):
            found.append("sl_off_scale")  # "BUY 2650 sl 40 tp 60": 2640? 40 pips? never guessed
        else:
            block.entry = None
    if block.sl is not None and not near(block.sl, reference):
        found.append("sl_off_scale")  # kept (as before) but shown: a stop that protects nothing
    tps = [tp for tp in block.tps if near(tp, reference) or off_scale(tp, reference)]
    if len(tps) > len([tp for tp in tps if near(tp, reference)]):
        found.append("tp_off_scale")
    block.tps = tps
    return tuple(found)


def _tails(entry: Decimal, block: Block) -> bool:
    # Exits of two digits under an entry of three or more ("Gold buy now 2650 sl 40 tp 60"):
    # the last digits of prices, or distances; either way not the prices the labels give.
    if block.sl is None or entry < _HUNDRED:
        return False  # the flag names the stop: without one, the entry is dropped as before
    return block.sl < _HUNDRED and all(tp < _HUNDRED for tp in block.tps)


def _levels(block: Block, entry: Decimal | None) -> list[Decimal]:
    # In the order that wins a tie for the reference (the level most others are near): an entry
    # zone (two prices), then the exits, as a single entry may be no price at all ("Signal 5 buy").
    levels = block.tps.copy()  # list operations, not a comprehension: this runs per signal
    if block.sl is not None:
        levels.insert(0, block.sl)
    if entry is not None and block.entry_range is not None:
        levels.insert(0, entry)
    elif entry is not None:
        levels.append(entry)
    return levels


def _reference(block: Block) -> Decimal | None:
    if block.entry is not None:
        return block.entry
    if block.entry_range is not None:
        return (block.entry_range[0] + block.entry_range[1]) / 2
    return None


def flags(side: Side, block: Block) -> tuple[str, ...]:
    """Return the inconsistencies of a block's levels for `side`."""
    found: list[str] = []
    low, high = block.entry_range or (block.entry, block.entry)
    # Compared directly, not as (a - b) * side.sign: the same verdicts, without Decimal arithmetic.
    buy = side is _BUY
    sl = block.sl
    if sl is not None:
        edge = low if buy else high
        edge = edge if edge is not None else (block.tps[0] if block.tps else None)
        if edge is not None and (edge <= sl if buy else edge >= sl):
            found.append("sl_wrong_side")
    top = high if buy else low
    if top is not None:
        for tp in block.tps:  # a loop, not any(): this runs for every signal
            if tp <= top if buy else tp >= top:
                found.append("tp_wrong_side")
                break
    if len(block.tps) > 1 and _out_of_order(block.tps, 1 if buy else -1):
        found.append("tps_out_of_order")
    return tuple(found)


def _out_of_order(tps: list[Decimal], sign: int) -> bool:
    # The same as tps != sorted(tps, key=tp * sign), without sorting: two neighbours whose keys
    # fall (the keys rounded as the product rounds them, so even 30-digit targets agree).
    # Rounding never reverses an order, so only targets that fall as written can fall rounded:
    # a list in order (the common case) is told without a product.
    if not any(map(gt if sign > 0 else lt, tps, tps[1:])):
        return False
    keys = [tp * sign for tp in tps]
    return any(map(gt, keys, keys[1:]))


def named(block: Block) -> tuple[Side | None, bool, str]:
    """Return the side a block names (and if by a word), or None and why it names no trade."""
    if block.symbol is None:
        return None, False, "no_symbol"
    if block.contested >= block.symbol_strength:
        return None, False, AMBIGUOUS
    return _side(block)


def complete(block: Block, strong: bool, context: Context) -> bool:
    """Return True when a block names symbol, side and its levels well enough to outweigh prose.

    A symbol, a side word, an entry (or a market order) and an exit; not when the message is
    vetoed ("not a signal") or opens with a follow-up, nor a block with no stop in a message
    that tells a gain ("+50 pips": a result unless the signal gives its stop). A market order
    with no levels ("BUY NOW") is complete only where nothing hedges, asks or reports.
    """
    if not strong or block.symbol is None or context.veto or context.leading_command:
        return False
    has_entry = block.entry is not None or block.entry_range is not None or block.market
    stop = block.sl is not None or block.sl_pips is not None
    exits = stop or bool(block.tps) or bool(block.tp_pips)
    if not exits:
        bare = block.market and not block.has_levels
        return bare and not (context.hedged or context.asked or context.report or context.gain)
    return has_entry and (stop or not context.gain)


def build(
    block: Block,
    side: Side,
    strong: bool,
    context: Context,
    narrow: Callable[[], prose.Narrowed | None],
) -> tuple[Signal | None, str]:
    """Return the block's Signal for `side` (from `named`), or None and why it is no opening.

    `narrow` gives the cues of the signal's own lines: asked only when the whole message's cues
    refuse a complete block, so prose around it ("enjoy", "secure profits") does not veto it.
    """
    _positional(block, side)
    if block.side_labels:
        settle.side_entry(block)
    if block.tp_pair:
        settle.target_zone(block, side)
    if block.entry_pair or block.entry_list:
        _zone(block)
    if block.extra_entries and not block.has_exits:
        return None, AMBIGUOUS  # "BUY 2650, 2645, 2640": prices whose roles are not written
    scale = _clean(block)
    refusal = _refusal(block, context, strong)
    if refusal in _LIFTABLE and complete(block, strong, context):
        narrowed = narrow()
        if narrowed is not None and not _refusal(block, narrowed.context, strong):
            refusal = ""
            block.explain.extend(prose.explain(narrowed.left_out))
    found = flags(side, block) + scale
    if refusal or (not strong and found):
        return None, refusal or "no_side"
    if block.side_labels and (block.sl is None or _WRONG_SIDE.intersection(found)):
        # The other side's word was read as the targets' label ("Sell: 0.54" under a LONG): that
        # holds only if a stop agrees with it, or "Buy: 2650⏎Sell: 2670" may be two orders.
        return None, AMBIGUOUS
    return _signal(block, side, found), ""


def _signal(block: Block, side: Side, found: tuple[str, ...]) -> Signal:
    assert block.symbol is not None
    return Signal(
        symbol=block.symbol,
        side=side,
        order_type=block.order_type or _MARKET,
        entry=block.entry if block.entry_range is None else None,
        entry_range=block.entry_range,
        sl=block.sl,
        tps=tuple(block.tps),
        tp_open=block.tp_open,
        sl_pips=block.sl_pips if block.sl is None else None,
        tp_pips=tuple(block.tp_pips) if not block.tps else (),
        risk_percent=block.risk_percent,
        lot=block.lot,
        order_type_implicit=block.order_type is None and not block.market,
        flags=found,
    )
