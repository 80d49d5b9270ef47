"""Polled deals → broker events (the sweep's source of TP/SL hits and pending fills)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal as D

from builders import NOW
from signal_copier.core.market import Deal, DealReason, EventKind, broker_events
from signal_copier.core.model import Side

CID = "sc0123456789abcdef01.0"


def _deal(
    n: int, reason: DealReason, *, position: str = "10", order: str = "10", **f: object
) -> Deal:
    base: dict[str, object] = {
        "id": str(100 + n),
        "order_id": order,
        "position_id": position,
        "client_id": CID,
        "symbol": "XAUUSD",
        "side": Side.BUY if reason is DealReason.OPEN else Side.SELL,
        "volume": D("0.10"),
        "price": D("2655.00"),
        "time": NOW + timedelta(seconds=n),
        "reason": reason,
    }
    return Deal(**{**base, **f})  # type: ignore[arg-type]


def test_a_tp_hit_is_a_closed_position_with_its_price_and_client_id() -> None:
    (event,) = broker_events("acc", [_deal(1, DealReason.TP)], open_positions=set())
    assert (event.kind, event.reason, event.client_id, event.position_id) == (
        EventKind.POSITION_CLOSED,
        DealReason.TP,
        CID,
        "10",
    )
    assert (event.account_id, event.price, event.volume, event.time) == (
        "acc",
        D("2655.00"),
        D("0.10"),
        NOW + timedelta(seconds=1),
    )


def test_an_sl_hit_is_closed_even_if_the_position_list_still_shows_it() -> None:
    (event,) = broker_events("acc", [_deal(1, DealReason.SL)], open_positions={"10"})
    assert (event.kind, event.reason) == (EventKind.POSITION_CLOSED, DealReason.SL)


def test_a_close_that_leaves_the_position_open_is_a_reduction() -> None:
    (event,) = broker_events("acc", [_deal(1, DealReason.CLOSE)], open_positions={"10"})
    assert event.kind is EventKind.POSITION_REDUCED


def test_a_close_whose_position_is_gone_is_a_close() -> None:
    (event,) = broker_events("acc", [_deal(1, DealReason.CLOSE)], open_positions=set())
    assert event.kind is EventKind.POSITION_CLOSED


def test_only_fills_of_pending_entries_are_fill_events() -> None:
    market = _deal(1, DealReason.OPEN, position="10", order="10")
    pending = _deal(2, DealReason.OPEN, position="20", order="20")
    (event,) = broker_events(
        "acc", [market, pending], open_positions={"10", "20"}, pending_orders={"20"}
    )
    assert (event.kind, event.order_id, event.position_id) == (EventKind.ORDER_FILLED, "20", "20")


def test_events_come_oldest_first_whatever_order_the_deals_came_in() -> None:
    deals = [_deal(3, DealReason.TP, position="30"), _deal(1, DealReason.SL, position="10")]
    events = broker_events("acc", deals, open_positions=set())
    assert [e.position_id for e in events] == ["10", "30"]


def test_a_deal_that_lost_its_client_id_takes_its_positions() -> None:
    deal = _deal(1, DealReason.TP, client_id="")
    (event,) = broker_events("acc", [deal], open_positions=set(), owners={"10": CID})
    assert event.client_id == CID
    (unowned,) = broker_events("acc", [deal], open_positions=set())
    assert unowned.client_id == ""
