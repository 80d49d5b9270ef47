from decimal import Decimal as D

from builders import gold_spec, make_signal, position
from signal_copier.core.closing import close_volume
from signal_copier.core.edit_plan import plan_edit
from signal_copier.core.followups import Target, plan_command
from signal_copier.core.levels import Policy, check_operations
from signal_copier.core.market import PendingOrder
from signal_copier.core.model import Action, ChangeKind, Command, OrderType, Side, SlAnchor

SPECS = {"XAUUSD": gold_spec()}
TARGET = Target(client_id="scA", signal=make_signal())


def _pending(id: str, client_id: str, price: str = "2645") -> PendingOrder:
    return PendingOrder(
        id=id,
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        volume=D("0.1"),
        price=D(price),
        sl=D("2640"),
        tp=D("2655"),
        client_id=client_id,
    )


def test_close_half_reply_closes_half_of_each_position() -> None:
    positions = [position("1", "scA.0", volume=D("0.10")), position("2", "scA.1", volume=D("0.06"))]
    ops = plan_command(
        Command(action=Action.CLOSE, fraction=D("0.5")), [TARGET], positions, [], SPECS, D(0)
    )
    assert [(o.kind, o.target, o.volume) for o in ops] == [
        (ChangeKind.PARTIAL_CLOSE, "1", D("0.05")),
        (ChangeKind.PARTIAL_CLOSE, "2", D("0.03")),
    ]


def test_close_half_of_minimum_lot_closes_it_whole() -> None:
    ops = plan_command(
        Command(action=Action.CLOSE, fraction=D("0.5")),
        [TARGET],
        [position("1", "scA.0", volume=D("0.01"))],
        [],
        SPECS,
        D(0),
    )
    assert [(o.kind, o.volume) for o in ops] == [(ChangeKind.CLOSE, None)]


def test_close_all_never_touches_manual_or_other_signals_trades() -> None:
    positions = [position("1", "scA.0"), position("2", ""), position("3", "scB.0")]
    ops = plan_command(
        Command(action=Action.CLOSE), [TARGET], positions, [_pending("4", "scA.1")], SPECS, D(0)
    )
    # The entry is cancelled first: it cannot fill into a new position while the closes go.
    assert [(o.kind, o.target) for o in ops] == [(ChangeKind.CANCEL, "4"), (ChangeKind.CLOSE, "1")]


def test_move_sl_to_entry_uses_each_positions_open_price_plus_buffer() -> None:
    positions = [
        position("1", "scA.0", open_price=D("2650.30")),
        position("2", "scA.1", open_price=D("2651")),
    ]
    command = Command(action=Action.MODIFY, sl_anchor=SlAnchor.ENTRY)
    ops = plan_command(command, [TARGET], positions, [], SPECS, D(2))
    assert [(o.kind, o.target, o.sl) for o in ops] == [
        (ChangeKind.SL, "1", D("2650.50")),
        (ChangeKind.SL, "2", D("2651.20")),
    ]


def test_move_sl_to_tp1_uses_the_signals_first_tp() -> None:
    ops = plan_command(
        Command(action=Action.MODIFY, sl_anchor=SlAnchor.TP1),
        [TARGET],
        [position("1", "scA.1", tp=D("2660"))],
        [],
        SPECS,
        D(0),
    )
    assert [(o.sl, o.tp) for o in ops] == [(D("2655.00"), D("2660"))]


def test_trail_sl_to_tp2_uses_the_signals_second_tp_and_a_missing_tp3_changes_nothing() -> None:
    # Arrange: the signal's targets are 2655 and 2660
    runner = [position("1", "scA.1", tp=D("2660"))]

    # Act
    to_tp2 = plan_command(
        Command(action=Action.MODIFY, sl_anchor=SlAnchor.TP2), [TARGET], runner, [], SPECS, D(0)
    )
    to_tp3 = plan_command(
        Command(action=Action.MODIFY, sl_anchor=SlAnchor.TP3), [TARGET], runner, [], SPECS, D(0)
    )

    # Assert
    assert [(o.sl, o.tp) for o in to_tp2] == [(D("2660.00"), D("2660"))]
    assert to_tp3 == []


def test_new_tps_map_to_legs_and_the_last_tp_covers_extra_legs() -> None:
    positions = [position("1", "scA.0"), position("2", "scA.1"), position("3", "scA.2")]
    ops = plan_command(
        Command(action=Action.MODIFY, tps=(D(2656), D(2661))), [TARGET], positions, [], SPECS, D(0)
    )
    assert [(o.kind, o.target, o.tp) for o in ops] == [
        (ChangeKind.TP, "1", D("2656.00")),
        (ChangeKind.TP, "2", D("2661.00")),
        (ChangeKind.TP, "3", D("2661.00")),
    ]


def test_a_level_found_already_set_is_sent_nowhere_and_kept_as_already_so() -> None:
    # Arrange: the position's stop is 2640 already
    held = [position("1", "scA.0")]

    # Act
    ops = plan_command(Command(action=Action.MODIFY, sl=D(2640)), [TARGET], held, [], SPECS, D(0))
    checked = check_operations(ops, held, [], {}, SPECS, Policy())

    # Assert: nothing to send; a retry records it as set (the attempt cut short set it)
    assert checked.operations == () and checked.refusals == ()
    assert [(op.kind, op.target, op.sl) for op in checked.already] == [
        (ChangeKind.SL, "1", D("2640.00"))
    ]


def test_cancel_cancels_only_pending_orders_of_the_signal() -> None:
    ops = plan_command(
        Command(action=Action.CANCEL),
        [TARGET],
        [position("1", "scA.0")],
        [_pending("5", "scA.1"), _pending("6", "scZ.0")],
        SPECS,
        D(0),
    )
    assert [(o.kind, o.target) for o in ops] == [(ChangeKind.CANCEL, "5")]


def test_close_half_then_breakeven_moves_sl_of_what_remains() -> None:
    command = Command(action=Action.CLOSE, fraction=D("0.5"), then_sl_anchor=SlAnchor.ENTRY)
    ops = plan_command(
        command, [TARGET], [position("1", "scA.0", volume=D("0.2"))], [], SPECS, D(0)
    )
    assert [o.kind for o in ops] == [ChangeKind.PARTIAL_CLOSE, ChangeKind.SL]
    assert ops[1].sl == D("2650.00")


def test_edit_that_moves_sl_updates_positions_and_pending_orders() -> None:
    edited = make_signal(sl=D(2642))
    ops = plan_edit(
        make_signal(), edited, TARGET, [position("1", "scA.0")], [_pending("7", "scA.1")], SPECS
    )
    assert [(o.kind, o.target, o.sl) for o in ops] == [
        (ChangeKind.SL, "1", D("2642.00")),
        (ChangeKind.ORDER, "7", D(2642)),
    ]


def test_edit_that_moves_entry_reprices_pending_orders_only() -> None:
    edited = make_signal(entry=D(2646))
    ops = plan_edit(
        make_signal(), edited, TARGET, [position("1", "scA.0")], [_pending("7", "scA.1")], SPECS
    )
    assert [(o.kind, o.target, o.price) for o in ops] == [(ChangeKind.ORDER, "7", D("2646.00"))]


def test_close_volume_rounds_down_to_step() -> None:
    assert close_volume(D("0.07"), D("0.5"), gold_spec()) == D("0.03")


def test_edit_in_pips_prices_each_leg_from_its_own_entry() -> None:
    # SL 50 pips → 80 pips: the position (opened at 2650) and the order (waiting at 2645) each
    # get a stop 8.0 under their own entry; the order's entry, unchanged, stays.
    was = make_signal(order_type=OrderType.LIMIT, sl=None, sl_pips=D(50), tps=(D("2655"),))
    edited = make_signal(order_type=OrderType.LIMIT, sl=None, sl_pips=D(80), tps=(D("2655"),))
    opened = position("1", "scA.0")

    ops = plan_edit(was, edited, TARGET, [opened], [_pending("7", "scA.1")], SPECS)

    assert [(o.kind, o.target, o.price, o.sl) for o in ops] == [
        (ChangeKind.SL, "1", None, opened.open_price - 8),
        (ChangeKind.ORDER, "7", D("2645"), D("2637.00")),
    ]


def test_edit_moving_an_entry_keeps_a_pip_stop_as_far_from_the_new_entry() -> None:
    was = make_signal(order_type=OrderType.LIMIT, entry=D(2645), sl=None, sl_pips=D(50))
    edited = make_signal(order_type=OrderType.LIMIT, entry=D(2648), sl=None, sl_pips=D(50))

    ops = plan_edit(was, edited, TARGET, [], [_pending("7", "scA.0")], SPECS)

    assert [(o.kind, o.price, o.sl) for o in ops] == [(ChangeKind.ORDER, D("2648"), D("2643.00"))]


def test_close_in_lots_of_a_signal_with_its_lot_size_takes_that_share_of_the_opening() -> None:
    # "Lot: 1.00", 0.20 opened, 0.10 left after a half: "close 0.3 lots" is 0.06 of it
    target = Target(client_id="scA", signal=make_signal(lot=D("1.00")), opened=D("0.20"))
    positions = [position("1", "scA.0", volume=D("0.05")), position("2", "scA.1", volume=D("0.05"))]
    command = Command(action=Action.CLOSE, fraction=D("0.5"), lots=D("0.3"))

    ops = plan_command(command, [target], positions, [_pending("3", "scA.2")], SPECS, D(0))

    assert sum(o.volume or D(0) for o in ops) == D("0.06")
    assert ChangeKind.CANCEL not in {o.kind for o in ops}  # the channel keeps part of it


def test_close_in_lots_of_a_signal_without_its_lot_size_closes_half() -> None:
    target = Target(client_id="scA", signal=make_signal(), opened=D("0.20"))
    positions = [position("1", "scA.0", volume=D("0.20"))]
    command = Command(action=Action.CLOSE, fraction=D("0.5"), lots=D("0.3"))

    ops = plan_command(command, [target], positions, [], SPECS, D(0))

    assert [(o.kind, o.volume) for o in ops] == [(ChangeKind.PARTIAL_CLOSE, D("0.10"))]


def test_close_all_of_the_channels_lots_closes_the_whole_signal() -> None:
    target = Target(client_id="scA", signal=make_signal(lot=D("1.00")), opened=D("0.10"))
    positions = [position("1", "scA.0", volume=D("0.10"))]
    command = Command(action=Action.CLOSE, fraction=D("0.5"), lots=D("1"))

    ops = plan_command(command, [target], positions, [_pending("3", "scA.1")], SPECS, D(0))

    assert [(o.kind, o.target) for o in ops] == [(ChangeKind.CANCEL, "3"), (ChangeKind.CLOSE, "1")]


def test_close_in_lots_counts_a_pending_leg_of_the_signal_only_once_it_filled() -> None:
    # 0.10 at market and a 0.10 limit that never filled: "close 0.5 lots" of 1.00 is 0.05
    target = Target(
        client_id="scA",
        signal=make_signal(lot=D("1.00")),
        opened=D("0.10"),
        pending={"scA.1": D("0.10")},
    )
    positions = [position("1", "scA.0", volume=D("0.10"))]
    command = Command(action=Action.CLOSE, fraction=D("0.5"), lots=D("0.5"))

    ops = plan_command(command, [target], positions, [_pending("2", "scA.1")], SPECS, D(0))

    assert [(o.kind, o.volume) for o in ops] == [(ChangeKind.PARTIAL_CLOSE, D("0.05"))]
