"""Walk a message's items and collect one block of levels per opening signal."""

from __future__ import annotations

from collections.abc import Callable

from signal_copier.core.model import OrderType
from signal_copier.core.parsing import fields, layout, leading
from signal_copier.core.parsing.fields import Block
from signal_copier.core.parsing.naming import SIDES, Naming
from signal_copier.core.parsing.state import (
    AFTER_PRICE,
    MAX_SIGNALS,
    NO_RESUME,
    VALUE_FIELDS,
    Overflow,
)
from signal_copier.core.parsing.tokens import Item

__all__ = ["MAX_SIGNALS", "Reader"]

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
    "horizon",
)
# "Close 33660 33500", "Buy back: 8.20", "Mid Term: 3400 - 3600" under a signal: exit levels.
_EXIT_LABELS = {
    "close": "targets (a level list, not a command)",
    "back": "targets (a level list, not a command)",
    "horizon": "targets (a row of the targets by horizon)",
}
_OTHER_KINDS = ("limit", "market", "tp_open", *_STOPPERS)
_BEFORE_STOP = AFTER_PRICE | {"num"}  # "0.06$ can be stop", "2200 STOP LOSs"
# "Buy #ABT at #HUOBI⏎🆔 #837553, 10th today": a connector's price is on its own line.
_INLINE_ONLY = frozenset({"at", "@", "from", "around", "between", "en"})
_MARK_REACH = 60  # items after a stop sign searched for a stop written in letters
_BARE_TARGETS = Item("tp", "targets")  # the label a line of bare prices under a head is read as


class Reader(Naming):
    """A small state machine: the current field decides what the next numbers mean."""

    def read(self) -> list[Block]:
        """Return every block the message holds."""
        handlers = _HANDLERS
        try:
            for at, item in enumerate(self.items):
                kind = item.kind
                if kind == "num" and self.field in VALUE_FIELDS:
                    self.buffer.append(item)  # the most common step, kept out of the dispatch
                    continue
                handler = handlers.get(kind)
                if handler is not None:  # other kinds (filler, hedges, sentence ends): nothing
                    handler(self, at, item)
        except Overflow:
            self.overflow, self.buffer = True, []
            return []
        self._flush()
        return leading.merged(self.blocks, self.items)  # "TP 2660⏎SL 2640⏎BUY GOLD NOW"

    def _number(self, _at: int, item: Item) -> None:
        field, block = self.field, self.blocks[-1]  # a value field's numbers are buffered by read
        if field is None and item.unit == "idx" and self.resume[0] is not None:
            self._start(*self.resume)  # "2) 63500": the list under the last label goes on
            self.buffer.append(item)
        elif field is None and self.resume[0] == "tp" and self._continues(_at, item):
            self._start(*self.resume)  # "6.200 - 6.100 ⏎ 5.790 - 5.560": the targets go on
            self.buffer.append(item)
        elif field is None and self.resume[0] == "head" and self._bare_targets(_at, item):
            self._start("tp", _BARE_TARGETS)  # "GOLD SELL 3334/3337⏎3332/3330/3328": targets
            block.explain.append(f'"{item.raw} …" → a bare price line under the entry: targets')
            self.buffer.append(item)
        elif field is None and self.resume[0] == "entry" and self._entry_line(_at, item):
            self._start(*self.resume)  # "ENTRY ZONE:⏎- 0.3665⏎- 0.3774": the entries go on
            block.entry_list = True
            self.buffer.append(item)
        elif field == "lot" and block.lot is None and not item.unit:
            if self._coin_volume(_at):
                block.explain.append(f'"{item.raw}" → a coin\'s traded volume, not the lot')
            elif self._no_lot(item):
                return
            else:
                block.lot = item.value
                block.explain.append(f'"lot {item.raw}" → lot={item.value!s}')
        elif field == "risk" and item.unit == "pct" and block.risk_percent is None:
            block.risk_percent = item.value
            block.explain.append(f'"risk {item.raw}%" → risk_percent={item.value!s}')

    def _newline(self, _at: int, _item: Item) -> None:
        if not self.buffer:  # the common case: nothing pending, so only a skipped line ends
            if self.field in _SKIPPING or self._connector_ends(_at):
                self.field, self.label = None, None
            return
        if self.field == "tp" and self.label is not None and self._index_only():
            self.label.unit, self.buffer = self.buffer[0].raw, []  # "T.P 1⏎1.68321"
        if self.field in _SKIPPING or self._first_level() is not None:
            self.resume = (self.field, self.label) if self.field in VALUE_FIELDS else NO_RESUME
            if self.buffer:  # self._start(None), inline: a line ends on most lines with levels
                self._flush()
            self.field, self.label = None, None

    def _connector_ends(self, at: int) -> bool:
        # "at #HUOBI⏎🆔 #837553, 10th today" ends at the line; "SET AT @⏎133.225" (the connector
        # ends its line) and "buy at #OANDA⏎2650" (a line of bare prices below) go on.
        label = self.label
        return (
            self.field == "entry"
            and label is not None
            and label.kind == "entry_weak"
            and label.text.lower() in _INLINE_ONLY
            and self.items[at - 1].kind != "entry_weak"
            and not self._bare_line(self._next_line(at + 1))[0]
        )

    def _coin_volume(self, at: int) -> bool:
        # "Volume #ABT: 260,848.8", "Volume #USDT: 560,000": a coin after a volume word makes
        # it traded volume (a quote coin alone scans as a market, "exchange"); "Lot GOLD 0.10"
        # stays a lot.
        if self.label is not None and "lot" in self.label.text.lower():
            return False
        for item in reversed(self.items[max(0, at - 4) : at]):
            if item is self.label:
                return False
            if item.kind in ("sym", "exchange"):
                return True
        return False

    def _label(self, at: int, item: Item) -> None:
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
        elif (
            kind == "sl"
            and at
            and self.items[at - 1].kind in _BEFORE_STOP
            and self._stop_before(at, item)
        ):
            return  # "0.06$ can be stop": the stop named after its price
        elif kind == "sl" and self.field == "head" and not self.buffer and self._mark(at, item):
            return  # "SELL🛑4405-4415 … SL⛔️4420": a stop sign glued to the side decorates it
        elif kind == "lot" and self._lot_before(at):
            return  # "Sell 0.01 lot gold at 2680": the size named before its word, no price
        if self.buffer:  # self._start(kind, item), inline: the most common label step
            self._flush()
        elif kind == self.field and kind in ("sl", "tp") and not item.unit and self.label:
            return  # "Stop Loss (SL):" repeats the label
        self.field, self.label = kind, item

    def _mark(self, at: int, item: Item) -> bool:
        # A stop sign right after the side word, when a stop written in letters comes later.
        if _lettered(item.text) or not at or self.items[at - 1].kind not in SIDES:
            return False
        later = self.items[at + 1 : at + 1 + _MARK_REACH]  # a bounded look: floods stay linear
        return any(it.kind == "sl" and _lettered(it.text) for it in later)

    def _particle(self, at: int, item: Item) -> bool:
        return item.text.lower() == "ya" and at > 0 and self.items[at - 1].kind == "num"

    def _beyond(self, at: int, item: Item) -> None:
        # "Long Below : 1.038", "Short : Below 205.27": right after the side it labels the entry;
        # elsewhere ("SL above 1.3233") it only joins a label to its price.
        if self.field == "head" and not self.buffer and self.label is not None:
            self._label(at, Item("entry", item.text))

    def _word(self, at: int, item: Item) -> None:
        # A word that is no label ends the numbers of the field before it.
        field = self.field
        if self._bullet(at):
            return
        if field == "sl" and not self.buffer and self._withheld(at, item):
            return
        if field in VALUE_FIELDS and self._first_level() is not None:
            self._start(None if field in ("sl", "tp") else field)
        elif field == "head" and item.kind == "w":
            # "SHORT — BTC just lost 60k": prose after the side, no entry (nothing to read)
            self.field, self.label, self.buffer = None, None, []

    def _other(self, at: int, item: Item) -> None:
        kind, block = item.kind, self.blocks[-1]
        if kind == "limit" and block.order_type is None:
            block.order_type = OrderType.LIMIT
            block.explain.append(f'"{item.text}" → order_type=limit')
        elif kind == "market" and self._particle(at, item):
            return  # Indonesian "…di 2646 ya": a closing particle after a price, not Spanish "now"
        elif kind == "market":
            block.market = True
            block.explain.append(f'"{item.text}" → market')
        elif kind == "tp_open" and self.field == "tp":
            block.tp_open = True
            block.explain.append(f'"{item.text}" → tp_open')
        elif kind in _STOPPERS:
            if kind in _EXIT_LABELS and block.sides and layout.heads_level_list(self.items, at):
                self._exit_label(at, item, f'"{item.text}" → {_EXIT_LABELS[kind]}')
                return
            self._word(at, item)
        else:
            return
        if kind in ("limit", "market") and self.field is None:
            self._start("head", None)


def _lettered(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


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
    "beyond": Reader._beyond,
    "w": Reader._word,  # the most common stopper, kept out of _other's chain
}
