"""A paper account's positions and pending orders, indexed for what the market asks of them.

A long replay leaves hundreds of positions and thousands of pending orders open, and every
quote, placement and balance read asks about all of them. So the book keeps, in step with
every change: per symbol and side, the positions' total volume and volume × open price (equity
and used margin cost O(symbols)); and per symbol and side, the levels sorted (SL and TP of
positions, prices of orders), so a quote finds what it triggers by bisection (O(log n + what
happens)). Items keep their insertion order, as the dicts they replace did, and are indexed
by the trade (intent clientId) their clientId names, so one trade's legs are found without
reading the others. Deals are read back from a time by bisection while they are in time order.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Collection, Iterator, ValuesView
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Generic, TypeVar

from signal_copier.core.market import Deal, PendingOrder, Position
from signal_copier.core.model import OrderType, Side

Item = TypeVar("Item", Position, PendingOrder)
Prices = Callable[[str], tuple[Decimal, Decimal]]  # a broker symbol's (bid, ask)
Bucket = tuple[str, Side, str]  # (broker symbol, side, "sl" | "tp" | the order type)
_LAST = float("inf")  # sorts after every sequence number: bisects past equal levels


@dataclass(slots=True, kw_only=True)
class Exposure:
    """The open volume of one symbol and side, and the sum of volume × open price over it.

    The ledger keeps what they are worth at the market's prices beside them (`valued_at` is
    the market's price epoch then; any change to the sums resets it).
    """

    symbol: str  # the broker's name
    side: Side
    volume: Decimal = Decimal(0)
    volume_price: Decimal = Decimal(0)
    count: int = 0
    valued_at: int = -1
    profit: Decimal = Decimal(0)
    margin: Decimal = Decimal(0)


class _Book(ABC, Generic[Item]):
    """Items by id in insertion order, with their levels sorted per bucket.

    Each kind of book says which levels an item has (`_bucket_levels`).
    """

    def __init__(self) -> None:
        self._items: dict[str, Item] = {}
        self._seq: dict[str, int] = {}
        self._next = 0
        self._levels: dict[Bucket, list[tuple[Decimal, int, str]]] = {}
        self._by_trade: dict[str, set[str]] = {}  # intent clientId → ids of its items

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __getitem__(self, item_id: str) -> Item:
        return self._items[item_id]

    def __setitem__(self, item_id: str, item: Item) -> None:
        old = self._items.get(item_id)
        if old is None:
            seq = self._seq[item_id] = self._next
            self._next += 1
        else:
            seq = self._seq[item_id]
            self._forget(old, seq)
        self._items[item_id] = item  # an existing id keeps its place, as in a dict
        self._note(item, seq)

    def __delitem__(self, item_id: str) -> None:
        item = self._items.pop(item_id)
        self._forget(item, self._seq.pop(item_id))

    def values(self) -> ValuesView[Item]:
        """Return the items, oldest first."""
        return self._items.values()

    def of_trades(self, trades: Collection[str]) -> list[Item]:
        """Return the items whose clientId is `<trade>.<leg>` for one of `trades`, oldest first."""
        found = [self._items[i] for trade in set(trades) for i in self._by_trade.get(trade, ())]
        return sorted(found, key=lambda item: self._seq[item.id])

    @abstractmethod
    def _bucket_levels(self, item: Item) -> list[tuple[Bucket, Decimal]]: ...

    def _note(self, item: Item, seq: int) -> None:
        for bucket, level in self._bucket_levels(item):
            insort(self._levels.setdefault(bucket, []), (level, seq, item.id))
        trade, dot, _ = item.client_id.partition(".")
        if dot:
            self._by_trade.setdefault(trade, set()).add(item.id)

    def _forget(self, item: Item, seq: int) -> None:
        for bucket, level in self._bucket_levels(item):
            levels = self._levels[bucket]
            del levels[bisect_left(levels, (level, seq, item.id))]
            if not levels:
                del self._levels[bucket]
        trade, dot, _ = item.client_id.partition(".")
        if dot:
            items = self._by_trade[trade]
            items.discard(item.id)
            if not items:
                del self._by_trade[trade]

    def _reached(self, wanted: Callable[[Bucket], tuple[Decimal, bool]]) -> list[Item]:
        # wanted(bucket) → (price, upward): levels at or above the price, else at or below.
        seqs: dict[int, str] = {}
        for bucket, levels in self._levels.items():
            price, upward = wanted(bucket)
            found = (
                levels[bisect_left(levels, (price,)) :]
                if upward
                else levels[: bisect_right(levels, (price, _LAST))]
            )
            seqs.update((seq, item_id) for _, seq, item_id in found)
        return [self._items[seqs[seq]] for seq in sorted(seqs)]


class Positions(_Book[Position]):
    """Open positions: their exposure per symbol and side, and their stops sorted."""

    def __init__(self) -> None:
        super().__init__()
        self._exposure: dict[tuple[str, Side], Exposure] = {}

    def exposure(self) -> list[Exposure]:
        """Return the exposure of every symbol and side with positions."""
        return list(self._exposure.values())

    def stops_reached(self, prices: Prices) -> list[Position]:
        """Return the positions whose SL or TP the closing price reached or passed, oldest first.

        A superset is fine (the caller judges each with the rules); none is left out.
        """

        def wanted(bucket: Bucket) -> tuple[Decimal, bool]:
            symbol, side, kind = bucket
            bid, ask = prices(symbol)
            closing = bid if side is Side.BUY else ask
            # A buy's SL is hit from above (its level at or above the bid), its TP from below.
            return closing, (kind == "sl") == (side is Side.BUY)

        return self._reached(wanted)

    def _bucket_levels(self, item: Position) -> list[tuple[Bucket, Decimal]]:
        levels: list[tuple[Bucket, Decimal]] = []
        if item.sl is not None:
            levels.append(((item.symbol, item.side, "sl"), item.sl))
        if item.tp is not None:
            levels.append(((item.symbol, item.side, "tp"), item.tp))
        return levels

    def _note(self, item: Position, seq: int) -> None:
        super()._note(item, seq)
        key = (item.symbol, item.side)
        sums = self._exposure.get(key)
        if sums is None:
            sums = self._exposure[key] = Exposure(symbol=item.symbol, side=item.side)
        sums.volume += item.volume
        sums.volume_price += item.volume * item.open_price
        sums.count += 1
        sums.valued_at = -1

    def _forget(self, item: Position, seq: int) -> None:
        super()._forget(item, seq)
        key = (item.symbol, item.side)
        sums = self._exposure[key]
        sums.count -= 1
        if not sums.count:  # starts again from exact zeros
            del self._exposure[key]
            return
        sums.volume -= item.volume
        sums.volume_price -= item.volume * item.open_price
        sums.valued_at = -1


class Orders(_Book[PendingOrder]):
    """Pending orders, their prices sorted per symbol, side and order type."""

    def crossed(self, prices: Prices) -> list[PendingOrder]:
        """Return the orders whose price the market reached or passed, oldest first.

        A superset is fine (the caller judges each with the rules); none is left out.
        """

        def wanted(bucket: Bucket) -> tuple[Decimal, bool]:
            symbol, side, order_type = bucket
            bid, ask = prices(symbol)
            market = ask if side is Side.BUY else bid
            # Buy stops and sell limits wait above the market: reached once at or below it.
            above = (order_type == OrderType.STOP) == (side is Side.BUY)
            return market, not above

        return self._reached(wanted)

    def _bucket_levels(self, item: PendingOrder) -> list[tuple[Bucket, Decimal]]:
        return [((item.symbol, item.side, item.order_type), item.price)]


class Deals(list[Deal]):
    """The deal history, oldest first, read back from a time without scanning it all."""

    _in_time_order = 0  # how long a prefix is known to be in time order

    def since(self, moment: datetime) -> list[Deal]:
        """Return the deals at or after `moment`, oldest first."""
        ordered = self._in_time_order
        while ordered < len(self) and (not ordered or self[ordered - 1].time <= self[ordered].time):
            ordered += 1
        self._in_time_order = ordered
        if ordered < len(self):  # a server clock set back: the times are not in order
            return [deal for deal in self if deal.time >= moment]
        return self[bisect_left(self, moment, key=_time) :]


def _time(deal: Deal) -> datetime:
    return deal.time
