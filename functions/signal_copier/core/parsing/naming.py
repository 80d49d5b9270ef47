"""Which symbol and side a block's words name: by layout, and with side words as level labels."""

from __future__ import annotations

from signal_copier.core.model import OrderType, Side
from signal_copier.core.parsing import layout
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.lots import LotSizes
from signal_copier.core.parsing.tokens import Item

SIDES: dict[str, tuple[Side, bool, OrderType | None]] = {
    "buy": (Side.BUY, True, None),
    "sell": (Side.SELL, True, None),
    "buy_weak": (Side.BUY, False, None),
    "sell_weak": (Side.SELL, False, None),
    "buy_limit": (Side.BUY, True, OrderType.LIMIT),
    "sell_limit": (Side.SELL, True, OrderType.LIMIT),
    "buy_stop": (Side.BUY, True, OrderType.STOP),
    "sell_stop": (Side.SELL, True, OrderType.STOP),
}


_LINE_REACH = 24  # items of a line looked at for its own exits: the work stays bounded


class Naming(LotSizes):
    """The reader's handlers for symbols and side words."""

    def _side(self, at: int, item: Item) -> None:
        if at and self.items[at - 1].kind == "negation":
            return  # "don't buy now": no side at all
        side, strong, order_type = SIDES[item.kind]
        if self.buffer:
            self._flush()
        block = self.blocks[-1]
        if strong and block.sides and self._side_label(at, item, side):
            return
        if strong and block.has_levels:
            symbol = self._symbol_ahead(at)
            if symbol is not None and (symbol != block.symbol or self._restated(at, block)):
                self._new_block(Block())
            elif block.sides.get(side):
                self._start("extra", item)  # "more buy @ 1296": another entry for the same trade
                return
        current = self.blocks[-1]
        current.sides[side] = current.sides.get(side, False) or strong
        if order_type is not None and current.order_type is None:
            current.order_type = order_type
        current.explain.append(f'"{item.text}" → side={side!s}')
        if strong:
            self._start("head", item)

    def _side_label(self, at: int, item: Item, side: Side) -> bool:
        # Under a signal, a side word that opens a level list labels it: "Buy: 0.52" under a LONG
        # is its entry, "Sell: 0.54, 0.56" its targets (checked against the levels at the end).
        block = self.blocks[-1]
        own = [s for s, word in block.sides.items() if word]
        if len(own) != 1:
            return False
        nxt = at + 1
        if side is not own[0] and nxt < len(self.items) and self.items[nxt].kind == "tp":
            block.explain.append(
                f'"{item.text} {self.items[nxt].text}" → targets of the {own[0]!s}'
            )
            return True  # "Sell Targets: 83 / 86" under a LONG: the targets' label, not a side
        if not layout.heads_level_list(self.items, at):
            return False
        if side is own[0]:
            if block.entry is None and block.entry_range is None:
                order_type = SIDES[item.kind][2]  # "BUY LIMIT: 3000" under "#LONG"
                if order_type is not None and block.order_type is None:
                    block.order_type = order_type
                self._start("entry", item)
                return True
            if not layout.own_line(self.items, at):
                return False  # "BUY 2645" after "BUY 2650": another entry for the same trade
        # "Sell: 0.54, 0.56" under a LONG, or "SELL:⏎1.0620 - 1.0580" under a SHORT entry: the
        # targets, or the entry when targets are labelled elsewhere (settled by the levels).
        block.side_labels = True
        self._exit_label(at, item, f'"{item.text}" → targets of the {own[0]!s}')
        self.side_list = self.label
        return True

    def _exit_label(self, at: int, item: Item, why: str) -> None:
        block = self.blocks[-1]
        block.explain.append(why)
        self.labels.add(at)
        self._start("tp", Item("tp", item.text))

    def _restated(self, at: int, block: Block) -> bool:
        # "XAUUSD BUY 2650 SL 2640 TP 2660⏎XAUUSD BUY 2645 SL 2635 TP 2660": a line that opens
        # with the symbol or side again and gives its own stop or target is another signal,
        # not a second entry of the first one ("more buy @ 1296" gives none).
        # Of the same side only: a buy and a sell of one symbol stay refused as two ways.
        if not block.has_exits or (at and self.items[at - 1].kind != "nl"):
            return False
        same = False
        for item in self.items[at : at + 1 + _LINE_REACH]:
            if item.kind == "nl":
                return False
            if item.kind in layout.STRONG_SIDES:
                same = same or SIDES[item.kind][0] in block.sides
            elif item.kind in ("sl", "tp"):
                return same
        return False

    def _symbol_ahead(self, at: int) -> str | None:
        # Within a line's reach, as layout looks: a long one-line post stays linear.
        for item in self.items[at + 1 : at + 1 + layout.REACH]:
            if item.kind == "nl":
                return None
            if item.kind == "sym":
                return item.raw
        return None

    def _symbol(self, at: int, item: Item) -> None:
        self._bullet(at)
        if self.buffer:
            self._flush()
        block = self.blocks[-1]
        if block.symbol is None and not block.has_levels:
            # The first symbol: how strongly it is named matters only if another competes.
            block.symbol, block.symbol_at = item.raw, at
        elif item.raw == block.symbol and self._restated(at, block):
            self._new_block(Block(symbol=item.raw, symbol_strength=layout.NAMED))
        elif item.raw == block.symbol:
            if block.contested >= 0 and block.contested >= self._settle(block):  # may win here
                block.symbol_strength = max(block.symbol_strength, layout.strength(self.items, at))
        elif not self._contested(at, item, block):
            return
        self.blocks[-1].explain.append(f'"{item.text}" → symbol={item.raw}')
        if self.field in (None, "skip", "head"):
            self._start("head", None)

    def _settle(self, block: Block) -> int:
        if block.symbol_at >= 0:
            block.symbol_strength = layout.strength(self.items, block.symbol_at)
            block.symbol_at = -1
        return block.symbol_strength

    def _contested(self, at: int, item: Item, block: Block) -> bool:
        # The symbol named most strongly wins: by its field or side word, then by heading a line,
        # then one only mentioned in prose; a tie is ambiguous. After the levels, a named symbol
        # starts the next signal and a mentioned one is prose ("GOLD SELL … DXY is pumping").
        strength = layout.strength(self.items, at)
        if block.has_levels:
            if strength == layout.MENTIONED:
                block.explain.append(f'"{item.text}" → mentioned after the levels: not a symbol')
                return False
            if block.symbol is None:
                block.symbol, block.symbol_strength = item.raw, strength
            else:
                self._new_block(Block(symbol=item.raw, symbol_strength=strength))
            return True
        held = self._settle(block)
        if strength > held:
            block.explain.append(f'"{block.symbol}" → named less plainly than {item.raw}')
            block.symbol, block.symbol_strength = item.raw, strength
        elif strength == held:
            block.contested = max(block.contested, strength)  # ambiguous unless one is named more
        else:
            return False  # a coin mentioned beside the signal's own symbol
        return True
