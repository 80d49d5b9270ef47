"""The reader's state: the blocks read so far, the field being filled, and its pending numbers."""

from __future__ import annotations

from signal_copier.core.parsing import fields, targets
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.numbers import price_like
from signal_copier.core.parsing.tokens import Item

VALUE_FIELDS = frozenset({"head", "entry", "extra", "sl", "tp"})
_LEVEL_UNITS = ("", "pips")
NO_RESUME: tuple[str | None, Item | None] = (None, None)
MAX_SIGNALS = 10  # signals in one message; more is a list or a recap, not something to copy


AFTER_PRICE = frozenset({"filler", "breakeven", "hedge", "join"})  # "can be", "as"


def _line_ends(items: list[Item], at: int) -> bool:
    return at >= len(items) or items[at].kind == "nl"


def _line_ends_without_number(items: list[Item], at: int) -> bool:
    for item in items[at:]:
        if item.kind == "nl":
            return True
        if item.kind == "num":
            return False
    return True


def _withholding(item: Item) -> bool:
    # Any unknown word ("PREMIUM", "soon"), or a verb written as a placeholder ("UPDATE"; not
    # "SL moved", which reports a change).
    if item.kind == "w":
        return True
    return item.kind == "move" and item.text.isupper() and not item.text.endswith("ED")


class Overflow(Exception):
    """Raised inside the reader when a message holds more signals than MAX_SIGNALS."""


class ReaderState:
    """What the reader has read so far, and the field the next numbers belong to."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.blocks = [Block()]
        self.field: str | None = None
        self.buffer: list[Item] = []
        self.label: Item | None = None
        self.resume: tuple[str | None, Item | None] = NO_RESUME  # the field a list continues
        self.labels: set[int] = set()  # where a side or close word labelled a level list
        self.overflow = False  # more signals than one message holds: none of them is read
        self.side_list: Item | None = None  # the label a side word gave a level list

    @property
    def block(self) -> Block:
        """Return the block being filled."""
        return self.blocks[-1]

    def _new_block(self, block: Block) -> None:
        if len(self.blocks) >= MAX_SIGNALS:
            raise Overflow
        self.blocks.append(block)

    def _start(self, name: str | None, label: Item | None = None) -> None:
        if self.buffer:
            self._flush()
        self.field = name
        self.label = label

    def _joiner(self, _at: int, item: Item) -> None:
        if self.buffer:
            self.buffer.append(item)

    def _flush(self) -> None:
        buffer, self.buffer = self.buffer, []
        if not buffer:
            return
        field, label, block = self.field, self.label, self.blocks[-1]
        text = label.text if label else ""
        if field == "tp":
            if label is not None:
                before = len(block.tps)
                targets.read_tps(block, buffer, text, label.unit)
                if label is self.side_list:
                    block.side_list = (before, len(block.tps))
        elif field == "sl":
            fields.read_sl(block, buffer, text)
        elif field == "head" or field == "entry":
            block.entry_list |= buffer[0].unit == "idx"
            fields.read_entry(block, buffer, text or "@")
        elif field == "extra":
            fields.read_entry(block, buffer, text)

    def _bullet(self, at: int) -> bool:
        # "🎯 GOLD_MOMENTUM_LONDON", "🎯 Quality: PREMIUM": a level's mark right before a name is
        # the line's bullet; it labels no number (a word label, "Target zone …", still does).
        label = self.label
        if self.buffer or label is None or self.field not in ("sl", "tp") or not at:
            return False
        if self.items[at - 1] is not label or label.text[:1].isalpha():
            return False
        self.field, self.label = None, None
        return True

    def _withheld(self, at: int, item: Item) -> bool:
        # "SL: PREMIUM", "Stop loss : UPDATE": a word where the stop's level should be, alone
        # at the end of its line, withholds the level; the word is no cue ("update" no command).
        if not _line_ends(self.items, at + 1) or not _withholding(item):
            return False
        label = self.label.text if self.label else "SL"
        self.blocks[-1].explain.append(f'"{label} {item.text}" → sl withheld (no level written)')
        self.labels.add(at)
        self.field, self.label = None, None
        return True

    def _stop_before(self, at: int, item: Item) -> bool:
        # "0.06$ can be stop", "6.8$ can be stop out", "2200 STOP LOSs": the stop named after its
        # price, on a line that starts with the price; no number follows the label on that line.
        if not _line_ends_without_number(self.items, at + 1):
            return False
        back = at - 1
        while back >= 0 and self.items[back].kind in AFTER_PRICE:
            back -= 1
        number = self.items[back] if back >= 0 else None
        if number is None or number.kind != "num" or number.unit:
            return False
        if back == at - 1 and not _line_ends(self.items, at + 1):
            return False  # "2200 STOP LOSs" is a line of its own; "2640 SL hit" is a report
        if back > 0 and self.items[back - 1].kind != "nl":
            return False
        if self.buffer and self.buffer[-1] is number:
            self.buffer.pop()  # "2442 Buy Around⏎2200 STOP LOSs": not a second entry
        if self.buffer:
            self._flush()
        block = self.blocks[-1]
        if block.sl is None and block.sl_pips is None:
            block.sl = number.value
            shown = f"{number.raw} … {item.text}"
            block.explain.append(f'"{shown}" → sl={number.value!s} (named after its price)')
        self.field, self.label = None, None
        return True

    def _continues(self, at: int, item: Item) -> bool:
        # A line of bare prices right under a target list, near its last target, goes on with it.
        tps = self.blocks[-1].tps
        if item.unit or not tps or at == 0 or self.items[at - 1].kind != "nl":
            return False
        if not price_like(item.value, tps[-1]):
            return False
        if len(tps) > 1 and (item.value - tps[-1]) * (tps[-1] - tps[-2]) <= 0:
            return False  # the list steps one way: a price back the other way is something else
        for following in self.items[at + 1 :]:
            if following.kind == "nl":
                break
            if following.kind == "filler" or (following.kind == "num" and following.unit == "pct"):
                continue  # "1824.9485 | 60% of profit |": the target's share of the position
            if following.kind not in fields.JOINERS and (following.kind != "num" or following.unit):
                return False
        return True

    def _bare_targets(self, at: int, item: Item) -> bool:
        # "GOLD SELL 3334/3337⏎⏎3332/3330/3328/3325⏎SL 3345": a line of bare prices under a head
        # that gave one side and its entry, before any target, all on the side the trade wins.
        block = self.blocks[-1]
        sides = [side for side, word in block.sides.items() if word]
        if item.unit or block.tps or len(sides) != 1 or self.items[at - 1].kind != "nl":
            return False
        edges = block.entry_range or ((block.entry, block.entry) if block.entry else None)
        if edges is None:
            return False
        low, high = edges
        line, end = self._bare_line(at)
        if not line or (len(line) == 1 and not self._bare_line(self._next_line(end))[0]):
            return False  # one price alone ("BUY 2650⏎2655") may be the zone's other edge
        buy = sides[0] == "buy"
        return all(
            price_like(n.value, low) and (n.value > high if buy else n.value < low) for n in line
        )

    def _bare_line(self, at: int) -> tuple[list[Item], int]:
        # The bare prices of the line starting at `at` (none if it holds anything else).
        line: list[Item] = []
        for end in range(at, len(self.items)):
            item = self.items[end]
            if item.kind == "nl":
                return line, end
            if item.kind == "num" and not item.unit:
                line.append(item)
            elif item.kind not in fields.JOINERS or not line:
                return [], end
        return line, len(self.items)

    def _next_line(self, at: int) -> int:
        while at < len(self.items) and self.items[at].kind == "nl":
            at += 1
        return at

    def _entry_line(self, at: int, item: Item) -> bool:
        # A bare price alone on its line (a "-" bullet before it at most), under the entry an
        # "Entry" label gave and before any exit: another entry (two make the zone's edges).
        block, label = self.blocks[-1], self.resume[1]
        if item.unit or label is None or label.kind != "entry" or block.entry is None:
            return False
        if block.tps or block.sl is not None or len(block.extra_entries) >= fields.MAX_ENTRIES:
            return False
        before = at - 1
        if before > 0 and self.items[before].kind in fields.JOINERS:
            before -= 1
        if before < 0 or self.items[before].kind != "nl" or not price_like(item.value, block.entry):
            return False
        return at + 1 == len(self.items) or self.items[at + 1].kind == "nl"

    def _first_level(self) -> Item | None:
        # A loop, not any(): a generator costs more than the few items buffered here.
        for item in self.buffer:
            if item.kind == "num" and item.unit in _LEVEL_UNITS:
                return item
        return None

    def _index_only(self) -> bool:
        # The buffer (never empty here) opens with a number: is it a lone small whole number?
        if self.label is None or self.label.unit:
            return False
        head = self.buffer[0]
        if not head.raw.isdigit() or not 0 < head.value <= 10 or head.unit:
            return False
        return not any(item.kind == "num" for item in self.buffer[1:])
