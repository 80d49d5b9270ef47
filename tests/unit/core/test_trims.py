"""A risk-sized trade whose stop an edit moves further away keeps the risk it was sized for."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

from builders import gold_spec
from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import ChangeKind, OrderType, Side
from signal_copier.core.trims import order_resizes, risk_trims, stops_kept

SPECS = {"XAUUSD": gold_spec()}


def _position(side: Side, volume: str, open_price: str, sl: str) -> Position:
    return Position(
        id="p1", symbol="XAUUSD", side=side, volume=D(volume), open_price=D(open_price), sl=D(sl)
    )


def _stop(sl: str) -> Operation:
    return Operation(kind=ChangeKind.SL, target="p1", sl=D(sl))


def test_a_sell_whose_stop_moves_four_times_further_keeps_a_quarter_of_its_volume() -> None:
    position = _position(Side.SELL, "0.80", "2650", "2652")

    planned, notes = risk_trims([_stop("2658")], [position], SPECS, {})

    assert planned == [
        Operation(kind=ChangeKind.PARTIAL_CLOSE, target="p1", volume=D("0.60")),
        _stop("2658"),
    ]
    assert "0.80 to 0.20" in notes["p1"]


def test_a_position_that_would_fall_under_the_minimum_is_closed_and_its_stop_left() -> None:
    position = _position(Side.BUY, "0.01", "2650", "2649")

    planned, notes = risk_trims([_stop("2640")], [position], SPECS, {})

    assert planned == [Operation(kind=ChangeKind.CLOSE, target="p1")]
    assert "closed" in notes["p1"]


def test_a_nearer_stop_or_one_in_profit_trims_nothing() -> None:
    position = _position(Side.BUY, "0.50", "2650", "2640")
    locked = _position(Side.BUY, "0.50", "2650", "2655")  # a stop already in profit

    nearer = risk_trims([_stop("2645")], [position], SPECS, {})
    from_profit = risk_trims([_stop("2640")], [locked], SPECS, {})

    assert nearer == ([_stop("2645")], {})
    assert from_profit == ([_stop("2640")], {})


def test_a_retry_after_the_trim_trims_nothing_more() -> None:
    # The leg opened with 0.80 lot for a stop 2 away; the trim ran, then the edit was redelivered
    # before its stop moved: judged from the opening, the 0.20 left is already right.
    trimmed = Position(
        id="p1",
        symbol="XAUUSD",
        side=Side.SELL,
        volume=D("0.20"),
        open_price=D("2650"),
        sl=D("2652"),
        client_id="c.0",
    )
    sized = {"c.0": (D("0.80"), D("2652"))}

    planned, notes = risk_trims([_stop("2658")], [trimmed], SPECS, sized)

    assert (planned, notes) == ([_stop("2658")], {})


def _buy_limit(volume: str, sl: str) -> PendingOrder:
    return PendingOrder(
        id="o1",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D(volume),
        price=D("2640"),
        sl=D(sl),
        client_id="c.0",
    )


def _order(sl: str, price: str = "2640") -> Operation:
    return Operation(kind=ChangeKind.ORDER, target="o1", price=D(price), sl=D(sl), tp=D("2660"))


def test_a_waiting_order_whose_stop_moves_four_times_further_is_sent_again_at_a_quarter() -> None:
    order = _buy_limit("0.80", "2638")
    sized = {"c.0": (D("0.80"), D("2638"), D("2640"))}

    kept, resizes = order_resizes([_order("2632")], [order], SPECS, sized)

    assert kept == []
    assert [(r.order, r.volume, r.price, r.sl) for r in resizes] == [
        (order, D("0.2"), D("2640"), D("2632"))
    ]


def test_a_waiting_order_sent_again_already_or_given_a_nearer_stop_is_only_modified() -> None:
    # Judged from the opening (0.80 lot for a stop 2 away): the 0.20 placed again is right.
    again = _buy_limit("0.20", "2632")
    sized = {"c.0": (D("0.80"), D("2638"), D("2640"))}
    moved_entry = _order("2632", price="2634")  # the entry moved with the stop: same distance

    assert order_resizes([_order("2632")], [again], SPECS, sized) == ([_order("2632")], [])
    assert order_resizes([moved_entry], [_buy_limit("0.80", "2638")], SPECS, sized) == (
        [moved_entry],
        [],
    )


def test_a_waiting_order_that_would_fall_under_the_minimum_is_only_cancelled() -> None:
    sized = {"c.0": (D("0.01"), D("2639"), D("2640"))}

    _, resizes = order_resizes([_order("2630")], [_buy_limit("0.01", "2639")], SPECS, sized)

    assert [r.volume for r in resizes] == [D(0)]


def test_a_cut_under_the_brokers_minimum_takes_the_minimum() -> None:
    # A 0.5-lot minimum: keeping the risk needs 0.46 lots off a 4.98-lot position
    spec = replace(gold_spec(), volume_min=D("0.5"))
    position = _position(Side.BUY, "4.98", "2650", "2640")

    planned, _ = risk_trims([_stop("2639")], [position], {"XAUUSD": spec}, {})

    assert planned[0] == Operation(kind=ChangeKind.PARTIAL_CLOSE, target="p1", volume=D("0.5"))


def test_a_cut_at_the_minimum_that_would_leave_less_than_the_minimum_closes_the_position() -> None:
    spec = replace(gold_spec(), volume_min=D("0.5"))
    position = _position(Side.BUY, "0.99", "2650", "2640")

    planned, notes = risk_trims([_stop("2639")], [position], {"XAUUSD": spec}, {})

    assert planned == [Operation(kind=ChangeKind.CLOSE, target="p1")]
    assert "closed" in notes["p1"]


def test_a_refused_cut_keeps_the_stop_but_still_sends_a_new_target() -> None:
    position = _position(Side.BUY, "0.80", "2650", "2649")
    wider = Operation(kind=ChangeKind.SL, target="p1", sl=D("2640"), tp=D("2670"))

    kept, notes = stops_kept([wider], {"p1"}, [position])

    assert kept == [Operation(kind=ChangeKind.TP, target="p1", sl=D("2649"), tp=D("2670"))]
    assert "kept at 2649" in notes[0]
