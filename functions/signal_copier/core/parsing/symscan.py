"""The symbol-reading half of the scanner: pairs, tickers by their field or mark, glued sides."""

from __future__ import annotations

from signal_copier.core.parsing import symbols
from signal_copier.core.parsing.numscan import Item, NumberScanner
from signal_copier.core.parsing.symbols import SymbolTable

_SIDE_WORDS = frozenset({"buy", "sell", "long", "short"})
BESIDE_SIDE = "side"  # the unit of a ticker read only by the side word after it
_COIN_ENDINGS = ("USDT", "USDC", "BUSD", "BTC", "ETH", symbols.BARE_CRYPTO, symbols.BARE_TICKER)


class SymbolScanner(NumberScanner):
    """The scanner's symbol reading, above its number reading; shares their token lists."""

    symbols: list[Item]
    table: SymbolTable

    def _symbol(self, at: int) -> int:
        found = symbols.read_symbol(self.words, self.raws, self.gaps, at, self.table)
        if found is None:
            self.scan.perpetual |= self.words[at] in self.table.perp_markers
            return 0 if self.words[at] in self.table.not_tickers else self._unlisted(at)
        name, span, weak = found
        text = " ".join(self.raws[at : at + span])
        name = self._digit_prefix(at, name)
        span += self._perp_suffix(at + span, name)
        self._add(Item("sym", text, raw=name, unit="hash" if weak else ""))
        return span

    def _quoted(self, at: int) -> bool:
        # A coin's quote follows: "APR/USDT", "WIF USDT", "LA-USDT".
        words, nxt = self.words, at + 1
        following = words[nxt] if nxt < len(words) else ""
        if following in ("/", "-") and nxt + 1 < len(words):
            following = words[nxt + 1]
        return following in self.table.crypto_quotes

    def _ticker_context(self, at: int) -> bool:
        # An unknown upper-case word is a coin only beside a quote ("APR/USDT", "WIF USDT"),
        # behind "$" or "#", or in a symbol field ("Coin: ONDO").
        if self._quoted(at):
            return True
        items = self.scan.items
        if items and items[-1].kind == "sym_label":
            return True
        if self._before_side(at):
            return True
        if at > 1 and not self.gaps[at] and self.raws[at - 1].isdigit():
            at -= 1  # "#1INCH": the digits glued after the mark begin the ticker
        return at > 0 and not self.gaps[at] and self.raws[at - 1] in ("#", "$")

    def _unlisted(self, at: int) -> int:
        # "Coin: ONDO": a ticker by the field it fills.
        items = self.scan.items
        if items and items[-1].kind == "sym_label" and symbols.ticker_shaped(self.raws[at]):
            raw = self.raws[at]
            self._add(Item("sym", raw, raw=raw.upper() + symbols.BARE_TICKER))
            return 1
        if self._before_side(at):  # a coin only once the message names a perpetual: settled later
            raw = self.raws[at]
            self._add(Item("sym", raw, raw=raw.upper() + symbols.BARE_TICKER, unit=BESIDE_SIDE))
            return 1
        return 0

    def _before_side(self, at: int) -> bool:
        # "BULLA SHORT • $0.1359": an unknown ticker in capitals right before a side word.
        raw, nxt = self.raws[at], at + 1
        if nxt >= len(self.words) or self.words[nxt] not in _SIDE_WORDS or self.gaps[nxt] != " ":
            return False
        if self.words[at] in self.table.side_adjectives:
            return False  # "STRONG SELL", "URGENT SHORT": the call described, not a coin
        return len(raw) >= 2 and raw.isalpha() and symbols.ticker_shaped(raw)

    def _glued(self, at: int) -> bool:
        # "XAUUSDBUY 2650": a symbol glued to its side word.
        raw = self.raws[at]
        glued = symbols.glued_side(self.words[at], raw, self.table)
        if glued is None:
            return False
        found, side = glued
        self._add(Item("sym", raw, raw=found.name))
        self.scan.items.append(Item(side, raw))
        return True

    def _digit_prefix(self, at: int, name: str) -> str:
        # "1000PEPE/USDT": the digits glued before a coin belong to its name.
        items, raws = self.scan.items, self.raws
        if at and not self.gaps[at] and items and items[-1].kind == "num":
            digits = raws[at - 1]
            if items[-1].text == digits and digits.isdigit() and name.endswith(_COIN_ENDINGS):
                items.pop()
                return digits + name
        return name

    def _perp_suffix(self, at: int, name: str) -> int:
        # "SOLUSDT.P", "#METUSDT P": an exchange's mark for the perpetual contract.
        if name.endswith("USDT") and at < len(self.words) and self.words[at] == "p":
            return 1 if self.gaps[at] in (".", " ") else 0
        return 0

    def _add(self, item: Item) -> None:
        self.scan.perpetual |= item.raw.endswith("USDT")
        self.symbols.append(item)
        self.scan.items.append(item)
