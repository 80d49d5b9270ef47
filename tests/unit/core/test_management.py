from datetime import timedelta
from decimal import Decimal as D

from builders import NOW, gold_spec, make_signal, position, settings
from signal_copier.core.followups import Target
from signal_copier.core.management import expired_orders, plan_after_close
from signal_copier.core.market import DealReason, PendingOrder
from signal_copier.core.model import ChangeKind, OrderType, Side

SPECS = {"XAUUSD": gold_spec()}
TARGET = Target(client_id="scA", signal=make_signal(tps=(D(2655), D(2660), D(2670))))
ZONE_ORDER = PendingOrder(
    id="9",
    symbol="XAUUSD",
    side=Side.BUY,
    order_type=OrderType.LIMIT,
    volume=D("0.1"),
    price=D(2645),
    client_id="scA.2",
)


def test_tp1_hit_moves_remaining_positions_to_breakeven_and_cancels_zone_orders() -> None:
    remaining = [position("2", "scA.1", tp=D(2660))]
    ops = plan_after_close(
        "scA.0",
        DealReason.TP,
        TARGET,
        remaining,
        [ZONE_ORDER],
        SPECS,
        settings(breakeven_on_tp1=True),
    )
    assert [(o.kind, o.target, o.sl) for o in ops] == [
        (ChangeKind.SL, "2", D("2650.00")),
        (ChangeKind.CANCEL, "9", None),
    ]


def test_tp1_hit_does_nothing_to_sl_when_breakeven_is_off() -> None:
    ops = plan_after_close(
        "scA.0",
        DealReason.TP,
        TARGET,
        [position("2", "scA.1")],
        [],
        SPECS,
        settings(breakeven_on_tp1=False),
    )
    assert ops == []


def test_tp2_hit_trails_sl_to_tp1() -> None:
    ops = plan_after_close(
        "scA.1",
        DealReason.TP,
        TARGET,
        [position("3", "scA.2", sl=D(2650))],
        [],
        SPECS,
        settings(trail_sl_to_previous_tp=True),
    )
    assert [(o.target, o.sl) for o in ops] == [("3", D("2655.00"))]


def test_sl_hit_triggers_nothing() -> None:
    assert (
        plan_after_close(
            "scA.0",
            DealReason.SL,
            TARGET,
            [position("2", "scA.1")],
            [],
            SPECS,
            settings(breakeven_on_tp1=True),
        )
        == []
    )


def test_trailing_never_loosens_a_stop() -> None:
    ops = plan_after_close(
        "scA.1",
        DealReason.TP,
        TARGET,
        [position("3", "scA.2", sl=D(2656))],
        [],
        SPECS,
        settings(trail_sl_to_previous_tp=True),
    )
    assert ops == []


def test_pending_entries_expire_after_the_configured_minutes() -> None:
    assert expired_orders(NOW, TARGET, [ZONE_ORDER], NOW + timedelta(minutes=29), 30) == []
    ops = expired_orders(NOW, TARGET, [ZONE_ORDER], NOW + timedelta(minutes=30), 30)
    assert [(o.kind, o.target) for o in ops] == [(ChangeKind.CANCEL, "9")]


def test_a_stop_found_at_breakeven_already_is_planned_for_a_retry_to_record() -> None:
    ops = plan_after_close(
        "scA.0",
        DealReason.TP,
        TARGET,
        [position("2", "scA.1", sl=D("2650.00"))],
        [],
        SPECS,
        settings(breakeven_on_tp1=True),
    )
    assert [(o.kind, o.target, o.sl) for o in ops] == [(ChangeKind.SL, "2", D("2650.00"))]
