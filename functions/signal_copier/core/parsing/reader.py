"""Walk a message's items and collect one block of levels per opening signal."""

from __future__ import annotations

from collections.abc import Callable

from signal_copier.core.model import OrderType, Side
from signal_copier.core.parsing import fields, layout
from signal_copier.core.parsing.fields import Block
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
_VALUE_FIELDS = frozenset({"head", "entry", "extra", "sl", "tp"})
_LEVEL_UNITS = ("", "pips")
_SKIPPING = frozenset({"skip", "risk", "lot"})
_SKIP_WORDS = frozenset({"skip_line", "negation"})
_STOPPERS = (
    "w",
    "noise",
    "sym_label",
    "back",
    "close",
    "cancel",
    "move",
    "new",
    "hit",
    "breakeven",
)
_EXIT_LABELS = frozenset({"close", "back"})  # "Close 33660 33500", "Buy back: 8.20" under a signal
_OTHER_KINDS = ("limit", "market", "tp_open", *_STOPPERS)
_NO_RESUME: tuple[str | None, Item | None] = (None, None)
MAX_SIGNALS = 10  # signals in one message; more is a list or a recap, not something to copy


class _Overflow(Exception):
    """Raised inside the reader when a message holds more signals than MAX_SIGNALS."""


class Reader:
    """A small state machine: the current field decides what the next numbers mean."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items
        self.blocks = [Block()]
        self.field: str | None = None
        self.buffer: list[Item] = []
        self.label: Item | None = None
        self.resume: tuple[str | None, Item | None] = _NO_RESUME  # the field a list continues
        self.labels: set[int] = set()  # where a side or close word labelled a level list
        self.overflow = False  # more signals than one message holds: none of them is read

    @property
    def block(self) -> Block:
        """Return the block being filled."""
        return self.blocks[-1]

    def read(self) -> list[Block]:
        """Return every block the message holds."""
        handlers = _HANDLERS
        try:
            for at, item in enumerate(self.items):
                kind = item.kind
                if kind == "num" and self.field in _VALUE_FIELDS:
                    self.buffer.append(item)  # the most common step, kept out of the dispatch
                    continue
                handler = handlers.get(kind)
                if handler is not None:  # other kinds (filler, hedges, sentence ends): nothing
                    handler(self, at, item)
        except _Overflow:
            self.overflow, self.buffer = True, []
            return []
        self._flush()
        return self.blocks

    def _new_block(self, block: Block) -> None:
        if len(self.blocks) >= MAX_SIGNALS:
            raise _Overflow
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
                fields.read_tps(block, buffer, text, label.unit)
        elif field == "sl":
            fields.read_sl(block, buffer, text)
        elif field == "head" or field == "entry":
            block.entry_list |= buffer[0].unit == "idx"
            fields.read_entry(block, buffer, text or "@")
        elif field == "extra":
            fields.read_entry(block, buffer, text)

    def _number(self, _at: int, item: Item) -> None:
        field, block = self.field, self.blocks[-1]  # a value field's numbers are buffered by read
        if field is None and item.unit == "idx" and self.resume[0] is not None:
            self._start(*self.resume)  # "2) 63500": the list under the last label goes on
            self.buffer.append(item)
        elif field == "lot" and block.lot is None and not item.unit:
            block.lot = item.value
            block.explain.append(f'"lot {item.raw}" → lot={item.value!s}')
        elif field == "risk" and item.unit == "pct" and block.risk_percent is None:
            block.risk_percent = item.value
            block.explain.append(f'"risk {item.raw}%" → risk_percent={item.value!s}')

    def _newline(self, _at: int, _item: Item) -> None:
        if not self.buffer:  # the common case: nothing pending, so only a skipped line ends
            if self.field in _SKIPPING:
                self.field, self.label = None, None
            return
        if self.field == "tp" and self.label is not None and self._index_only():
            self.label.unit, self.buffer = self.buffer[0].raw, []  # "T.P 1⏎1.68321"
        if self.field in _SKIPPING or self._first_level() is not None:
            self.resume = (self.field, self.label) if self.field in _VALUE_FIELDS else _NO_RESUME
            self._start(None)

    def _first_level(self) -> Item | None:
        # A loop, not any(): a generator costs more than the few items buffered here.
        for item in self.buffer:
            if item.kind == "num" and item.unit in _LEVEL_UNITS:
                return item
        return None

    def _index_only(self) -> bool:
        if self.label is None or self.label.unit:
            return False
        numbers = [i for i in self.buffer if i.kind == "num"]
        if len(numbers) != 1:
            return False
        return numbers[0].raw.isdigit() and 0 < numbers[0].value <= 10 and not numbers[0].unit

    def _label(self, _at: int, item: Item) -> None:
        kind = item.kind
        if kind == "entry_weak":
            pending = self.field in ("sl", "tp", "entry") and (
                not self.buffer or self._index_only()
            )
            if pending or self.field in _SKIPPING or self.field == "extra":
                return  # "SL @ 1935", "lot 0.01 at 500": a connector, not an entry label
            kind = "entry"
        elif kind in _SKIP_WORDS:
            kind = "skip"
        repeated = kind == self.field and kind in ("sl", "tp") and not item.unit
        if repeated and not self.buffer and self.label:
            return  # "Stop Loss (SL):" repeats the label
        self._start(kind, item)

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
            if symbol is not None and symbol != block.symbol:
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
            if block.entry is not None or block.entry_range is not None:
                return False
            self._start("entry", item)
        else:
            block.side_labels = True
            self._exit_label(at, item, f'"{item.text}" → targets of the {own[0]!s}')
        return True

    def _exit_label(self, at: int, item: Item, why: str) -> None:
        block = self.blocks[-1]
        block.explain.append(why)
        self.labels.add(at)
        self._start("tp", Item("tp", item.text))

    def _symbol_ahead(self, at: int) -> str | None:
        for item in self.items[at + 1 :]:
            if item.kind == "nl":
                return None
            if item.kind == "sym":
                return item.raw
        return None

    def _symbol(self, at: int, item: Item) -> None:
        if self.buffer:
            self._flush()
        block = self.blocks[-1]
        if block.symbol is None and not block.has_levels:
            # The first symbol: how strongly it is named matters only if another competes.
            block.symbol, block.symbol_at = item.raw, at
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

    def _other(self, at: int, item: Item) -> None:
        kind, block = item.kind, self.blocks[-1]
        if kind == "limit" and block.order_type is None:
            block.order_type = OrderType.LIMIT
            block.explain.append(f'"{item.text}" → order_type=limit')
        elif kind == "market":
            block.market = True
            block.explain.append(f'"{item.text}" → market')
        elif kind == "tp_open" and self.field == "tp":
            block.tp_open = True
            block.explain.append(f'"{item.text}" → tp_open')
        elif kind in _STOPPERS:
            if kind in _EXIT_LABELS and block.sides and layout.heads_level_list(self.items, at):
                self._exit_label(at, item, f'"{item.text}" → targets (a level list, not a command)')
                return
            if self.field in _VALUE_FIELDS and self._first_level() is not None:
                self._start(None if self.field in ("sl", "tp") else self.field)
            elif kind == "w" and self.field == "head":
                # "SHORT — BTC just lost 60k": prose after the side, no entry (nothing to read)
                self.field, self.label, self.buffer = None, None, []
        else:
            return
        if kind in ("limit", "market") and self.field is None:
            self._start("head", None)


_Handler = Callable[[Reader, int, Item], None]
_HANDLERS: dict[str, _Handler] = {
    "num": Reader._number,
    "nl": Reader._newline,
    "sym": Reader._symbol,
    **dict.fromkeys(fields.JOINERS, Reader._joiner),
    **dict.fromkeys(SIDES, Reader._side),
    **dict.fromkeys(
        ("sl", "tp", "entry", "entry_weak", "risk", "lot", *_SKIP_WORDS), Reader._label
    ),
    **dict.fromkeys(_OTHER_KINDS, Reader._other),
}
