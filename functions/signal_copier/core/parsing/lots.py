"""Lot sizes written around their word: "Sell 0.01 lot gold at 2680", "Buy 1 lot XAUUSD 2650"."""

from __future__ import annotations

from signal_copier.core.parsing.state import ReaderState
from signal_copier.core.parsing.tokens import Item

MAX_LOT = 100  # lots in one order: more is a price read under a lot label ("Lot XAUUSD 2650")


class LotSizes(ReaderState):
    """The reader's steps for a lot size named before its word, or a price under its label."""

    def _lot_before(self, at: int) -> bool:
        # The number right before "lot", with no number after the word, is the lot size.
        buffer, block = self.buffer, self.blocks[-1]
        if not buffer or buffer[-1] is not self.items[at - 1] or buffer[-1].unit:
            return False
        if buffer[-1].value > MAX_LOT:
            return False  # "Sell 2680 lot": a price, whatever the word after it
        following = next((it for it in self.items[at + 1 : at + 3] if it.kind != "p"), None)
        if block.lot is not None or (following is not None and following.kind == "num"):
            return False
        size = buffer.pop()
        block.lot = size.value
        block.explain.append(f'"{size.raw} {self.items[at].text}" → lot={size.value!s}')
        return True

    def _no_lot(self, item: Item) -> bool:
        # "Buy 1 lot XAUUSD 2650": no lot is that large; the number is the entry of a signal
        # with no levels yet, else nothing.
        if item.value <= MAX_LOT:
            return False
        block = self.blocks[-1]
        block.explain.append(f'"{item.raw}" → too large for a lot size: not the lot')
        self.field, self.label = None, None
        if block.sides and not block.has_levels:
            self._start("head", None)
            self.buffer.append(item)
        return True
