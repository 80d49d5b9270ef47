"""A risk-sized trade whose stop an edit moves further away keeps the risk it was sized for."""

from __future__ import annotations

from decimal import Decimal as D

from builders import gold_spec
from signal_copier.core.followups import Operation
from signal_copier.core.market import PendingOrder, Position
from signal_copier.core.model import ChangeKind, OrderRequest, OrderType, Side
from signal_copier.core.trims import Replacement, order_trims, risk_trims

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
    assert "0.80 to 0.20" in notes[0]


def test_a_position_that_would_fall_under_the_minimum_is_closed_and_its_stop_left() -> None:
    position = _position(Side.BUY, "0.01", "2650", "2649")

    planned, notes = risk_trims([_stop("2640")], [position], SPECS, {})

    assert planned == [Operation(kind=ChangeKind.CLOSE, target="p1")]
    assert "closed" in notes[0]


def test_a_nearer_stop_or_one_in_profit_trims_nothing() -> None:
    position = _position(Side.BUY, "0.50", "2650", "2640")
    locked = _position(Side.BUY, "0.50", "2650", "2655")  # a stop already in profit

    nearer = risk_trims([_stop("2645")], [position], SPECS, {})
    from_profit = risk_trims([_stop("2640")], [locked], SPECS, {})

    assert nearer == ([_stop("2645")], [])
    assert from_profit == ([_stop("2640")], [])


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
    sized = {"c.0": (D("0.80"), D("2652"), D("2650"))}

    planned, notes = risk_trims([_stop("2658")], [trimmed], SPECS, sized)

    assert (planned, notes) == ([_stop("2658")], [])


def _limit(volume: str, price: str, sl: str) -> PendingOrder:
    return PendingOrder(
        id="o1",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D(volume),
        price=D(price),
        sl=D(sl),
        client_id="c.1",
    )


def _moved(price: str, sl: str) -> Operation:
    return Operation(kind=ChangeKind.ORDER, target="o1", price=D(price), sl=D(sl), tp=D("2660"))


def test_a_limit_order_whose_stop_moves_ten_times_further_is_replaced_by_a_tenth() -> None:
    order = _limit("1.00", "2645", "2644")

    planned, copies, notes = order_trims([_moved("2645", "2635")], [order], SPECS, {}, "e")

    assert planned == [Operation(kind=ChangeKind.CANCEL, target="o1")]
    copy = OrderRequest(
        client_id="e.1",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D("0.1"),
        price=D("2645"),
        sl=D("2635"),
        tp=D("2660"),
        leg=1,
    )
    assert copies == [Replacement(replaces="o1", order=copy)]
    assert "0.10 lots instead of 1.00" in notes[0]


def test_an_entry_moved_away_from_the_stop_counts_as_a_wider_stop() -> None:
    # Sized for 2645 → 2644 (1 point); the edit keeps the stop and moves the entry to 2648.
    order = _limit("0.90", "2645", "2644")

    planned, copies, _ = order_trims([_moved("2648", "2644")], [order], SPECS, {}, "e")

    assert planned == [Operation(kind=ChangeKind.CANCEL, target="o1")]
    assert [c.order.volume for c in copies] == [D("0.22")]


def test_an_order_judged_from_its_opening_is_not_replaced_again_by_a_retry() -> None:
    # An earlier edit already brought this copy down to what the opening risked.
    copy = _limit("0.10", "2645", "2635")
    sized = {"c.1": (D("0.10"), D("2635"), D("2645"))}

    planned, copies, notes = order_trims([_moved("2645", "2635")], [copy], SPECS, sized, "e")

    assert (planned, copies, notes) == ([_moved("2645", "2635")], [], [])


def test_an_order_that_would_fall_under_the_minimum_is_only_cancelled() -> None:
    order = _limit("0.01", "2645", "2644")

    planned, copies, notes = order_trims([_moved("2645", "2635")], [order], SPECS, {}, "e")

    assert planned == [Operation(kind=ChangeKind.CANCEL, target="o1")]
    assert copies == [] and "cancelled" in notes[0]
