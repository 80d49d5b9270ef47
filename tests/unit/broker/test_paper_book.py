"""The paper book's indexes answer exactly what a scan over every item would, in the same order."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from signal_copier.broker.paper import rules
from signal_copier.broker.paper.book import Deals, Orders, Positions
from signal_copier.core.market import Deal, DealReason, PendingOrder, Position
from signal_copier.core.model import OrderType, Side

SYMBOLS = ("XAUUSD", "EURUSD.m")
T0 = datetime(2026, 1, 5, tzinfo=UTC)
levels = st.decimals(min_value=D("90"), max_value=D("110"), places=1)
maybe_level = st.none() | levels
volumes = st.decimals(min_value=D("0.01"), max_value=D("2"), places=2)
# (delete?, id, symbol, side, volume, price, sl, tp, order type)
steps = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(0, 9),
        st.sampled_from(SYMBOLS),
        st.sampled_from(list(Side)),
        volumes,
        levels,
        maybe_level,
        maybe_level,
        st.sampled_from([OrderType.LIMIT, OrderType.STOP]),
    ),
    max_size=60,
)
markets = st.fixed_dictionaries(
    {s: st.tuples(levels, st.decimals(min_value=D(0), max_value=D(1), places=1)) for s in SYMBOLS}
)


def _prices(market: dict[str, tuple[D, D]]) -> Callable[[str], tuple[D, D]]:
    return lambda symbol: (market[symbol][0], market[symbol][0] + market[symbol][1])


def _positions(steps: list[tuple]) -> tuple[Positions, dict[str, Position]]:
    book, reference = Positions(), {}
    for delete, number, symbol, side, volume, price, sl, tp, _ in steps:
        item_id = str(number)
        if delete:
            if item_id in reference:
                del book[item_id], reference[item_id]
            continue
        position = Position(
            id=item_id, symbol=symbol, side=side, volume=volume, open_price=price, sl=sl, tp=tp
        )
        book[item_id] = reference[item_id] = position
    return book, reference


@given(steps=steps, market=markets)
def test_positions_find_exactly_the_stops_a_full_scan_finds_in_the_same_order(
    steps: list[tuple], market: dict[str, tuple[D, D]]
) -> None:
    book, reference = _positions(steps)
    prices = _prices(market)

    found = book.stops_reached(prices)

    scanned = [
        p for p in reference.values() if rules.stop_hit(p.side, p.sl, p.tp, *prices(p.symbol))
    ]
    assert found == scanned
    assert list(book.values()) == list(reference.values())


@given(steps=steps)
def test_positions_keep_each_symbol_and_sides_volume_and_volume_times_price(
    steps: list[tuple],
) -> None:
    book, reference = _positions(steps)

    kept = {(s.symbol, s.side): (s.volume, s.volume_price) for s in book.exposure()}

    expected: dict[tuple[str, Side], tuple[D, D]] = {}
    for p in reference.values():
        volume, volume_price = expected.get((p.symbol, p.side), (D(0), D(0)))
        expected[(p.symbol, p.side)] = (volume + p.volume, volume_price + p.volume * p.open_price)
    assert kept == expected


@given(steps=steps, market=markets)
def test_orders_find_exactly_the_crossed_prices_a_full_scan_finds_in_the_same_order(
    steps: list[tuple], market: dict[str, tuple[D, D]]
) -> None:
    book, reference = Orders(), {}
    for delete, number, symbol, side, volume, price, sl, tp, order_type in steps:
        item_id = str(number)
        if delete:
            if item_id in reference:
                del book[item_id], reference[item_id]
            continue
        order = PendingOrder(
            id=item_id,
            symbol=symbol,
            side=side,
            order_type=order_type,
            volume=volume,
            price=price,
            sl=sl,
            tp=tp,
        )
        book[item_id] = reference[item_id] = order
    prices = _prices(market)

    found = book.crossed(prices)

    scanned = [
        o
        for o in reference.values()
        if rules.crossed(o.side, o.order_type, o.price, *prices(o.symbol))
    ]
    assert found == scanned


# (id, clientId, volume): an id seen again replaces its item, None removes it.
CLIENT_IDS = ("sca.0", "sca.1", "scb.2", "scab.0", "sca", "", "scalper.1", "sca.b.3")
held = st.lists(
    st.tuples(st.integers(0, 9), st.sampled_from(CLIENT_IDS) | st.none(), volumes), max_size=40
)


@given(steps=held, trades=st.sets(st.sampled_from(("sca", "scb", "scab", "sc", "scalper"))))
def test_a_trades_legs_are_exactly_those_a_clientid_scan_finds_in_the_same_order(
    steps: list[tuple[int, str | None, D]], trades: set[str]
) -> None:
    positions, orders, reference = Positions(), Orders(), {}
    for number, client_id, volume in steps:
        item_id = str(number)
        if client_id is None:
            if item_id in reference:
                del positions[item_id], orders[item_id], reference[item_id]
            continue
        reference[item_id] = client_id
        positions[item_id] = Position(
            id=item_id,
            symbol="XAUUSD",
            side=Side.BUY,
            volume=volume,
            open_price=D(100),
            client_id=client_id,
        )
        orders[item_id] = PendingOrder(
            id=item_id,
            symbol="XAUUSD",
            side=Side.BUY,
            order_type=OrderType.LIMIT,
            volume=volume,
            price=D(100),
            client_id=client_id,
        )

    found_positions, found_orders = positions.of_trades(trades), orders.of_trades(trades)

    prefixes = tuple(f"{trade}." for trade in trades)
    scanned = [i for i, client_id in reference.items() if client_id.startswith(prefixes)]
    assert [p.id for p in found_positions] == scanned
    assert [o.id for o in found_orders] == scanned


@given(
    batches=st.lists(st.lists(st.integers(-5, 60), max_size=8), max_size=6),
    since=st.integers(-10, 70),
)
def test_deals_since_a_time_are_those_a_scan_finds_even_when_the_clock_went_back(
    batches: list[list[int]], since: int
) -> None:
    deals, reference = Deals(), []
    moment = T0 + timedelta(seconds=since)
    for batch in batches:
        added = [_deal(len(reference) + n, seconds) for n, seconds in enumerate(batch)]
        deals.extend(added)
        reference.extend(added)

        found = deals.since(moment)

        assert found == [d for d in reference if d.time >= moment]


def _deal(number: int, seconds: int) -> Deal:
    return Deal(
        id=str(number),
        order_id=str(number),
        position_id=str(number),
        client_id="",
        symbol="XAUUSD",
        side=Side.BUY,
        volume=D("0.01"),
        price=D(100),
        time=T0 + timedelta(seconds=seconds),
        reason=DealReason.OPEN,
        profit=D(0),
    )


def test_a_book_kind_that_does_not_say_its_levels_cannot_be_made() -> None:
    from signal_copier.broker.paper.book import _Book

    class Levelless(_Book[Position]):
        pass

    with pytest.raises(TypeError, match="_bucket_levels"):
        Levelless()  # type: ignore[abstract]
    assert len(Positions()) == len(Orders()) == 0  # the two real kinds say theirs
