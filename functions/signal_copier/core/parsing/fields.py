"""Turn the numbers written after a label into entry, stop-loss and take-profit levels."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from signal_copier.core.model import OrderType, Side
from signal_copier.core.parsing.numbers import complete, price_like
from signal_copier.core.parsing.tokens import Item

JOINERS = frozenset({"join", "list"})
MAX_TPS = 10  # more targets than any channel writes: the rest is not read (bounds the work too)
MAX_ENTRIES = 10
_ANNOTATIONS = frozenset({"pips", "pct", "ord", "tf", "lev", "signed", "idx", "old"})
_TP_UNITS = ("", "pips", "signed")  # units of the numbers a target list is read from


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
    second = _joined(items, first)
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
    if 0 < len(rest) < 3 and not any(i.kind in JOINERS for i in items):
        block.positional = len(rest) == 2
        block.entry_pair = len(rest) == 1 and price_like(rest[0].value, first.value)
    _extras(block, rest)


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


def _is_index(numbers: list[Item]) -> bool:
    head = numbers[0]
    return len(numbers) > 1 and head.raw.isdigit() and 0 < head.value <= 10 and not head.unit


def _ranged(items: list[Item], numbers: list[Item]) -> bool:
    # "Targets 8 - 8.5": a joiner after the first number makes it a level of the list, not the
    # target's number ("Target 3: 3.5" has none).
    at = items.index(numbers[0]) + 1
    return at < len(items) and items[at].kind in JOINERS


def _all_pips(items: list[Item], first: Item) -> bool:
    # "20-50-100 pips": every number of a joined run (from `first` on) shares the last one's unit.
    end = len(items) - 1
    while end >= 0 and items[end].kind != "num":
        end -= 1
    if end < 0 or items[end].unit != "pips":
        return False  # the common case, found before any walking
    joined = True  # one pass, so a long run costs no more than its length
    for at in range(items.index(first), end + 1):
        item = items[at]
        if item.kind == "num":
            if not joined or "." in item.raw:
                return False
            joined = False
        elif item.kind in JOINERS:
            joined = True
        else:
            return False
    return True


def read_tps(block: Block, items: list[Item], label: str, index: str) -> None:
    """Append the take-profit levels (or pip distances) written after one TP label."""
    room = MAX_TPS - len(block.tps) - len(block.tp_pips)
    if room <= 0:
        return
    numbers = []  # a loop, not a comprehension: cheaper for the few items of one field
    for item in items:
        if item.kind == "num" and item.unit in _TP_UNITS:
            numbers.append(item)
    del numbers[room + 1 :]  # an index and `room` targets at most
    label = f"{label}{index}" if index else label
    if numbers and not index and _is_index(numbers) and not _ranged(items, numbers):
        index, numbers = numbers[0].raw, numbers[1:]
        items = items[items.index(numbers[0]) :]
    if not numbers or numbers[0].unit == "signed":
        numbers = [n for n in numbers if n.unit != "signed"]
        if not numbers:
            return
    first = numbers[0]
    name = f"tp{index}" if index else f"tp{len(block.tps) + 1}"
    if first.unit == "pips" or _all_pips(items, first):
        pips = [n.value for n in numbers if n.unit in ("", "pips")]
        block.tp_pips.extend((pips if first.unit == "" else [first.value])[:room])
        block.explain.append(f'"{label} {first.raw} pips" → tp_pips={block.tp_pips}')
        return
    if not block.tps and len(numbers) == 2 and not label[:1].isalpha() and _ranged(items, numbers):
        block.tp_pair = True  # a mark ("🎯"), not the word "TP", over two joined prices
    block.tps.append(first.value)
    block.explain.append(f'"{label} {first.raw}" → {name}={first.value!s}')
    last = _position(items, first, 0)
    for number in numbers[1:]:
        if len(block.tps) >= MAX_TPS:
            return
        at = _position(items, number, last)
        if number.unit:
            continue
        if price_like(number.value, first.value) or _ladder(
            block.tps, items[last + 1 : at], number
        ):
            block.tps.append(number.value)
            block.explain.append(f'"{number.raw}" → tp{len(block.tps)}={number.value!s}')
            last = at


def _position(items: list[Item], item: Item, start: int) -> int:
    at = start
    while items[at] is not item:
        at += 1
    return at


def _ladder(tps: list[Decimal], between: list[Item], number: Item) -> bool:
    # "TARGET 395 - 450 - 530", "28.06$ - 29$ - 34$ - 50$ - 65$": a joined run of targets that
    # keeps stepping the same way may reach well past the first (within a factor of three).
    if len(tps) < 2 or not between or any(item.kind not in JOINERS for item in between):
        return False
    step, value = tps[-1] - tps[-2], number.value
    return step * (value - tps[-1]) > 0 and tps[0] / 3 <= value <= tps[0] * 3
