"""Turn the numbers written after a label into entry, stop-loss and take-profit levels."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core.model import OrderType, Side
from signal_copier.core.parsing.numbers import complete, price_like
from signal_copier.core.parsing.tokens import Item

JOINERS = frozenset({"join", "list"})
MAX_TPS = 16  # a real channel wrote 12; past this the rest is not read (bounds the work too)
MAX_ENTRIES = 10
_ANNOTATIONS = frozenset({"pips", "pct", "ord", "tf", "lev", "signed", "idx", "old", "ratio"})


@dataclass(slots=True, init=False)
class Block:
    """What one signal inside a message has said so far."""

    symbol: str | None
    sides: dict[Side, bool]  # side → written as a word
    order_type: OrderType | None
    market: bool
    entry: Decimal | None
    entry_range: tuple[Decimal, Decimal] | None
    extra_entries: list[Decimal]
    sl: Decimal | None
    sl_pips: Decimal | None
    tps: list[Decimal]
    tp_pips: list[Decimal]
    tp_open: bool
    risk_percent: Decimal | None
    lot: Decimal | None
    # How strongly the text names the symbol (layout.NAMED, HEADED, MENTIONED); the strength at
    # which two different symbols tie (-1: none do); where the symbol stood while nothing
    # contested it (its strength is looked at only if another symbol competes).
    symbol_strength: int
    contested: int
    symbol_at: int
    side_labels: bool  # the other side's word labelled the targets ("Sell: 0.54, 0.56")
    side_list: tuple[int, int]  # where in tps the levels under that side word are
    tp_pair: bool  # the first target mark read just two joined prices ("🎯4470-- 4471🎯")
    entry_pair: bool  # "BUY NOW: 2318 2314": two prices side by side after the entry
    entry_list: bool  # "Entry Targets:⏎1) 61200.5⏎2) 59850.0"
    positional: bool  # "BUY 1413.0 1409.0 1435.0": entry, SL, TP without labels
    explain: list[str]

    def __init__(self, symbol: str | None = None, symbol_strength: int = 0) -> None:
        # Written out, one statement a field: every message makes a block, and a generated
        # __init__ (every field a parameter, a factory call per list) costs 1.6x as much.
        self.symbol = symbol
        self.sides = {}
        self.order_type = None
        self.market = False
        self.entry = None
        self.entry_range = None
        self.extra_entries = []
        self.sl = None
        self.sl_pips = None
        self.tps = []
        self.tp_pips = []
        self.tp_open = False
        self.risk_percent = None
        self.lot = None
        self.symbol_strength = symbol_strength
        self.contested = -1
        self.symbol_at = -1
        self.side_labels = False
        self.side_list = (0, 0)
        self.tp_pair = False
        self.entry_pair = False
        self.entry_list = False
        self.positional = False
        self.explain = []

    @property
    def has_exits(self) -> bool:
        """Return True once a stop or a target (a price or a pip distance) has been read."""
        return bool(self.sl is not None or self.sl_pips is not None or self.tps or self.tp_pips)

    @property
    def has_levels(self) -> bool:
        """Return True once any price or pip distance has been read."""
        return bool(
            self.entry is not None
            or self.entry_range
            or self.sl is not None
            or self.sl_pips is not None
            or self.tps
            or self.tp_pips
        )


def _plain(items: list[Item]) -> list[Item]:
    plain = []  # a loop, not a comprehension: cheaper for the few items of one field
    for item in items:
        if item.kind == "num" and item.unit not in _ANNOTATIONS:
            plain.append(item)
    return plain


def _joined(items: list[Item], first: Item) -> Item | None:
    # The number right after `first` when only range joiners stand between them ("2650__2644").
    start = at = items.index(first) + 1
    if at >= len(items) or items[at].text == "&":
        return None  # "1.5630 & 1.5530": two entries, not one zone
    while at < len(items) and items[at].kind in JOINERS:
        at += 1
    if at > start and at < len(items) and items[at].kind == "num":
        return items[at]
    return None


def read_entry(block: Block, items: list[Item], label: str) -> None:
    """Fill the entry, entry zone or extra entries from `items` (numbers and joiners)."""
    numbers = _plain(items)
    if not numbers:
        return
    first, rest = numbers[0], numbers[1:]
    if block.entry is not None or block.entry_range is not None:
        _extras(block, numbers)
        return
    # A zone's far end is a plain number too; three prices in a list ("2650, 2640, 2660") are
    # read by position, as if spaced.
    listed = len(rest) == 2 and _listed(items)
    second = _joined(items, first) if rest and not listed else None
    if second is not None and second.unit not in _ANNOTATIONS:
        far = complete(first.raw, second.raw) if not price_like(second.value, first.value) else None
        far = second.value if far is None else far
        if price_like(far, first.value) and far != first.value:
            block.entry_range = (min(first.value, far), max(first.value, far))
            block.explain.append(f'"{label} {first.raw}-{second.raw}" → entry_range={_span(block)}')
            _extras(block, rest[1:])
            return
    block.entry = first.value
    block.explain.append(f'"{label} {first.raw}" → entry={first.value!s}')
    if not rest:
        return
    if len(rest) < 3 and (listed or not any(i.kind in JOINERS for i in items)):
        block.positional = len(rest) == 2
        block.entry_pair = len(rest) == 1 and price_like(rest[0].value, first.value)
    _extras(block, rest)


def _listed(items: list[Item]) -> bool:
    # Every joiner between the numbers is a list mark ("," or ";"), none a range's ("-", "to").
    joiners = [item for item in items if item.kind in JOINERS]
    return bool(joiners) and all(item.kind == "list" for item in joiners)


def _span(block: Block) -> str:
    low, high = block.entry_range or (Decimal(0), Decimal(0))
    return f"{low!s}..{high!s}"


def _extras(block: Block, numbers: list[Item]) -> None:
    reference = block.entry if block.entry is not None else (block.entry_range or (None,))[0]
    for number in numbers:
        if len(block.extra_entries) >= MAX_ENTRIES:
            return
        if reference is not None and price_like(number.value, reference):
            block.extra_entries.append(number.value)


def read_sl(block: Block, items: list[Item], label: str) -> None:
    """Fill the stop loss (a price, or a distance in pips) from the first number."""
    if block.sl is not None or block.sl_pips is not None:
        return
    for first in items:  # the first level
        if first.kind == "num" and first.unit in ("", "pips"):
            break
    else:
        return
    if first.unit == "pips":
        block.sl_pips = first.value
        block.explain.append(f'"{label} {first.raw} pips" → sl_pips={first.value!s}')
    else:
        block.sl = first.value
        block.explain.append(f'"{label} {first.raw}" → sl={first.value!s}')
