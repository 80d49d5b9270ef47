"""A paper account after random trading agrees with a brute-force recomputation of its book.

Seeded sequences of quotes (equal to levels often), market and pending orders, partial and full
closes, SL/TP and order changes, cancels and clock offsets, on hedging and netting accounts.
After every step: the running per-symbol, per-side sums equal the open positions' own; equity
is the balance plus their floating profit; nothing the market reached is left untriggered; the
deals read back from any time (deal times included) are those a scan finds; and the balance
moved by exactly the deals' profits.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from signal_copier.broker.paper import rules
from signal_copier.broker.paper.ledger import CENT, Ledger
from signal_copier.broker.paper.specs import SymbolNames, load_instruments
from signal_copier.broker.paper.venue import Venue
from signal_copier.core.errors import CopierError
from signal_copier.core.market import DealReason, MarginMode
from signal_copier.core.model import OrderRequest, OrderType, Side

T0 = datetime(2026, 1, 5, tzinfo=UTC)
POINTS = {"XAUUSD": D("0.01"), "EURUSD": D("0.00001"), "USDJPY": D("0.001")}
START = D(100_000)


class World:
    """One account on one venue, and the random choices that drive it."""

    def __init__(self, seed: int, mode: MarginMode) -> None:
        self.rnd = random.Random(seed)
        venue = Venue(load_instruments(), T0)
        currency = self.rnd.choice(["USD", "EUR"])
        names = SymbolNames(venue.instruments)
        self.ledger = Ledger(
            venue,
            "a",
            balance=START,
            currency=currency,
            names=names,
            margin_mode=mode,
            leverage=100,
        )
        self.now = T0
        self.mids = {symbol: venue.prices(symbol)[0] for symbol in POINTS}
        self.width = self.rnd.choice([20, 300])  # points a quote moves: few or many hits

    def level(self, symbol: str) -> D | None:
        if self.rnd.random() < 0.2:
            return None
        return self.mids[symbol] + POINTS[symbol] * self.rnd.randint(-400, 400)

    def quote(self) -> None:
        self.now += timedelta(seconds=self.rnd.choice([0, 0, 1]))  # same-time deals often
        if self.rnd.random() < 0.05:  # the server's clock drifts, back as well as forward
            self.ledger.venue.clock_offset = timedelta(seconds=self.rnd.randint(-5, 5))
        quotes = {}
        for symbol in self.rnd.sample(list(POINTS), self.rnd.randint(1, len(POINTS))):
            point = POINTS[symbol]
            bid = max(self.mids[symbol] + point * self.rnd.randint(-self.width, self.width), point)
            spread = point * self.rnd.randint(0, 30)
            levels = self._levels(symbol)
            if levels and self.rnd.random() < 0.5:  # exactly on a level: the bisection's edge
                bid = self.rnd.choice(levels) - self.rnd.choice([D(0), spread])
            self.mids[symbol] = bid = max(bid, point)
            quotes[symbol] = (bid, bid + spread)
        self.ledger.venue.update(quotes, self.now)
        self.ledger.settle()

    def _levels(self, symbol: str) -> list[D]:
        ledger = self.ledger
        stops = [p.sl for p in ledger.positions.values() if p.symbol == symbol]
        stops += [p.tp for p in ledger.positions.values() if p.symbol == symbol]
        prices = [o.price for o in ledger.orders.values() if o.symbol == symbol]
        return [level for level in (*stops, *prices) if level is not None]

    def order(self, pending: bool) -> None:
        symbol = self.rnd.choice(list(POINTS))
        kind = self.rnd.choice([OrderType.LIMIT, OrderType.STOP]) if pending else OrderType.MARKET
        price = (self.level(symbol) or self.mids[symbol]) if pending else None
        request = OrderRequest(
            client_id=f"c{self.rnd.random()}",
            symbol=symbol,
            side=self.rnd.choice(list(Side)),
            order_type=kind,
            volume=D("0.01") * self.rnd.randint(1, 30),
            price=price,
            sl=self.level(symbol),
            tp=self.level(symbol),
        )
        if pending:
            self.ledger.add_pending(request)
        else:
            self.ledger.open_market(request)

    def change(self) -> None:
        ledger, choice = self.ledger, self.rnd.random()
        positions, orders = list(ledger.positions), list(ledger.orders)
        if positions and choice < 0.4:
            volume = None if self.rnd.random() < 0.4 else D("0.01") * self.rnd.randint(1, 20)
            ledger.close(self.rnd.choice(positions), volume, DealReason.CLOSE)
        elif positions and choice < 0.7:
            position = ledger.positions[self.rnd.choice(positions)]
            sl, tp = self.level(position.symbol), self.level(position.symbol)
            ledger.modify_position(position.id, sl, tp)
        elif orders and choice < 0.85:
            order = ledger.orders[self.rnd.choice(orders)]
            price = self.level(order.symbol) or order.price
            ledger.modify_order(order.id, price, self.level(order.symbol), order.tp)
        elif orders:
            del ledger.orders[self.rnd.choice(orders)]

    def step(self) -> None:
        action = self.rnd.random()
        try:
            if action < 0.3:
                self.quote()
            elif action < 0.55:
                self.order(pending=False)
            elif action < 0.7:
                self.order(pending=True)
            else:
                self.change()
        except CopierError:
            pass  # refused (stops too close, no margin, ...): the book must be unchanged


def _check(world: World, step: int) -> None:
    ledger = world.ledger
    positions = list(ledger.positions.values())
    sums: dict[tuple[str, Side], tuple[D, D]] = {}
    for p in positions:
        volume, volume_price = sums.get((p.symbol, p.side), (D(0), D(0)))
        sums[(p.symbol, p.side)] = (volume + p.volume, volume_price + p.volume * p.open_price)
    kept = {(e.symbol, e.side): (e.volume, e.volume_price) for e in ledger.positions.exposure()}
    assert kept == sums, step

    floating = D(0)
    for (symbol, side), (volume, volume_price) in sums.items():
        inst = ledger.instrument(symbol)
        price = rules.closing_price(side, *ledger.prices(symbol))
        move = (price * volume - volume_price) * side.sign * inst.contract_size
        floating += ledger.to_account(move, inst).quantize(CENT)
    assert ledger.equity() == ledger.balance + floating, step
    per_position = sum(
        (
            ledger.to_account(
                (rules.closing_price(p.side, *ledger.prices(p.symbol)) - p.open_price)
                * p.side.sign
                * p.volume
                * ledger.instrument(p.symbol).contract_size,
                ledger.instrument(p.symbol),
            ).quantize(CENT)
            for p in positions
        ),
        D(0),
    )
    assert abs(floating - per_position) <= CENT * len(positions), step  # rounding alone

    hit = [p for p in positions if rules.stop_hit(p.side, p.sl, p.tp, *ledger.prices(p.symbol))]
    assert not hit, step
    crossed = [
        o
        for o in ledger.orders.values()
        if rules.crossed(o.side, o.order_type, o.price, *ledger.prices(o.symbol))
    ]
    assert not crossed, step

    deals = list(ledger.deals)
    for moment in {T0 - timedelta(seconds=9), world.now, *(d.time for d in deals[-3:])}:
        assert ledger.deals.since(moment) == [d for d in deals if d.time >= moment], step
    assert ledger.balance == START + sum((d.profit for d in deals), D(0)), step


@pytest.mark.parametrize("mode", [MarginMode.HEDGING, MarginMode.NETTING])
@pytest.mark.parametrize("seed", range(12))
def test_a_paper_account_agrees_with_a_brute_force_recount_after_random_trading(
    seed: int, mode: MarginMode
) -> None:
    world = World(seed, mode)

    for step in range(250):
        world.step()
        _check(world, step)

    assert world.ledger.deals, "the sequence traded nothing: it checks nothing"
