"""A follow-up's or an edit's new levels pass an opening's checks, per position (#2, #9)."""

from decimal import Decimal as D

import pytest

from builders import eurusd_spec, gold_spec, position, quote
from signal_copier.core.checked import Checked, Refusal, with_refusals
from signal_copier.core.followups import Operation
from signal_copier.core.levels import Policy, check_operations
from signal_copier.core.market import PendingOrder
from signal_copier.core.model import ChangeKind, OrderType, Side, Status, TradeResult
from signal_copier.core.reasons import Reason
from signal_copier.core.stops import round_price

SPECS = {"XAUUSD": gold_spec(), "EURUSD": eurusd_spec()}
QUOTES = {"XAUUSD": quote("2656.00", "2656.30"), "EURUSD": quote("1.08500", "1.08508", "EURUSD")}
GOLD = position("1", "scA.0", open_price=D("2650.30"), sl=D("2640.00"), tp=D("2660.00"))
EURO = position(
    "2",
    "scA.1",
    symbol="EURUSD",
    side=Side.SELL,
    open_price=D("1.08500"),
    sl=D("1.08800"),
    tp=D("1.08000"),
)


def _sl(target: str, sl: str, tp: D | None = None) -> Operation:
    return Operation(kind=ChangeKind.SL, target=target, sl=D(sl), tp=tp)


def _check(*ops: Operation, policy: Policy | None = None, positions=(GOLD, EURO)) -> Checked:  # type: ignore[no-untyped-def]
    return check_operations(ops, positions, [], QUOTES, SPECS, policy or Policy())


@pytest.mark.parametrize(
    ("op", "sent", "reason"),
    [
        (_sl("1", "2645", GOLD.tp), D("2645"), None),  # tighter, below the bid: sent
        (_sl("1", "264.5", GOLD.tp), None, Reason.PRICE_DECIMAL_SLIP),
        (_sl("2", "2645", EURO.tp), None, Reason.PRICE_DECIMAL_SLIP),  # gold's level on EURUSD
        (_sl("1", "2657", GOLD.tp), None, Reason.SL_WRONG_SIDE),  # above the bid 2656
        (_sl("1", "2655.80", GOLD.tp), D("2655.50"), None),  # inside the stops level: moved
        (_sl("1", "2635", GOLD.tp), None, Reason.STOP_KEPT),  # looser than 2640
        (_sl("2", "1.08600", EURO.tp), D("1.08600"), None),  # a sell's tighter stop (above ask)
        (_sl("2", "1.08400", EURO.tp), None, Reason.SL_WRONG_SIDE),  # a sell's stop below ask
        (_sl("2", "1.09000", EURO.tp), None, Reason.STOP_KEPT),
        (
            Operation(kind=ChangeKind.TP, target="1", sl=GOLD.sl, tp=D("2650")),
            None,
            Reason.TP_WRONG_SIDE,
        ),
        (Operation(kind=ChangeKind.TP, target="1", sl=GOLD.sl, tp=D("2670")), D("2640.00"), None),
    ],
)
def test_position_levels_table(op: Operation, sent: D | None, reason: Reason | None) -> None:
    checked = _check(op)
    if reason is None:
        [out] = checked.operations
        assert out.sl == sent and checked.refusals == ()
    else:
        assert checked.operations == ()
        assert [r.reason for r in checked.refusals] == [reason]


def test_a_level_that_fits_one_symbol_of_a_post_applies_to_that_one() -> None:
    checked = _check(_sl("1", "2645", GOLD.tp), _sl("2", "2645", EURO.tp))
    assert [(op.target, op.sl) for op in checked.operations] == [("1", D("2645"))]
    [refusal] = checked.refusals
    assert (refusal.symbol, refusal.reason) == ("EURUSD", Reason.PRICE_DECIMAL_SLIP)
    assert "EURUSD #2: SL 2645 not set (price_decimal_slip)" in refusal.note


def test_a_refused_sl_leaves_a_good_tp_in_the_same_operation() -> None:
    op = Operation(kind=ChangeKind.SL, target="1", sl=D("264"), tp=D("2670"))
    [out] = _check(op).operations
    assert (out.kind, out.sl, out.tp) == (ChangeKind.TP, D("2640.00"), D("2670"))


@pytest.mark.parametrize(
    ("policy", "allowed"),
    [
        (Policy(), False),
        (Policy(allow_looser_sl=True), True),
        (Policy(own_sl=D("2640")), True),  # an edit correcting the signal's own stop
        (Policy(own_sl=D("2638")), False),  # the stop was moved since the signal set it
    ],
)
def test_loosening_a_stop_needs_the_setting_or_the_signals_own_stop(
    policy: Policy, allowed: bool
) -> None:
    checked = _check(_sl("1", "2635", GOLD.tp), policy=policy)
    assert bool(checked.operations) is allowed


@pytest.mark.parametrize(
    ("policy", "sl", "reason"),
    [
        (Policy(allow_looser_sl=True), "2460", Reason.PRICE_TYPO),  # 2640 meant: refused
        (Policy(own_sl=D("2640")), "2460", Reason.PRICE_TYPO),  # an edit's typo too
        (Policy(allow_looser_sl=True), "2560", None),  # wide, but no slip makes it fit
    ],
)
def test_a_stop_that_reads_as_a_typo_is_not_set_even_where_loosening_is_allowed(
    policy: Policy, sl: str, reason: Reason | None
) -> None:
    # Arrange: gold bought at 2650.30 with its target at 2660
    op = _sl("1", sl)

    # Act
    checked = _check(op, policy=policy, positions=(GOLD,))

    # Assert
    assert [r.reason for r in checked.refusals] == ([] if reason is None else [reason])
    assert [o.sl for o in checked.operations] == ([D(sl)] if reason is None else [])


def test_a_typod_stop_names_the_stop_that_would_fit() -> None:
    checked = _check(_sl("1", "2460"), policy=Policy(allow_looser_sl=True), positions=(GOLD,))
    [refusal] = checked.refusals
    assert "where 2640 would fit" in refusal.detail


def test_a_stop_is_judged_against_its_trades_furthest_target_not_one_legs_nearest() -> None:
    # Arrange: a three-leg buy from 2650 with a wide stop at 2600; TP1 is only 2 away
    legs = [
        position(str(i), f"scB.{i}", open_price=D("2650"), sl=D("2600"), tp=D(tp))
        for i, tp in enumerate(("2652", "2660", "2680"))
    ]
    quotes = {"XAUUSD": quote("2651.00", "2651.30")}
    ops = [_sl(leg.id, "2625") for leg in legs]  # tighter: "move SL to 2625"
    looser = [_sl(leg.id, "2575") for leg in legs]  # looser, for a trader who allows it

    # Act
    tightened = check_operations(ops, legs, [], quotes, SPECS, Policy())
    loosened = check_operations(looser, legs, [], quotes, SPECS, Policy(allow_looser_sl=True))

    # Assert: every leg moves (2645, one digit from 2625, would fit TP1 alone)
    assert [op.sl for op in tightened.operations] == [D("2625")] * 3
    assert [op.sl for op in loosened.operations] == [D("2575")] * 3
    assert tightened.refusals == loosened.refusals == ()


def test_without_a_quote_the_side_is_left_to_the_broker_but_slips_are_still_caught() -> None:
    ops = (_sl("1", "2657", GOLD.tp), _sl("2", "2645", EURO.tp))
    checked = check_operations(ops, [GOLD, EURO], [], {}, SPECS, Policy())
    assert [op.target for op in checked.operations] == ["1"]


def test_closes_and_cancels_pass_unchanged() -> None:
    ops = (
        Operation(kind=ChangeKind.PARTIAL_CLOSE, target="1", volume=D("0.05")),
        Operation(kind=ChangeKind.CANCEL, target="9"),
    )
    assert _check(*ops).operations == ops


ORDER = PendingOrder(
    id="7",
    symbol="XAUUSD",
    side=Side.BUY,
    order_type=OrderType.LIMIT,
    volume=D("0.10"),
    price=D("2645.00"),
    sl=D("2640.00"),
    tp=D("2660.00"),
    client_id="scB.0",
)


@pytest.mark.parametrize(
    ("price", "sl", "tp", "expected", "reasons"),
    [
        ("2644", "2641", "2660", ("2644", "2641", "2660.00"), []),
        ("2644", "2639", "2660.00", ("2644", "2640.00", "2660.00"), [Reason.STOP_KEPT]),
        ("264.4", "2640.00", "2660.00", None, [Reason.PRICE_DECIMAL_SLIP]),  # entry slip
        ("2645.00", "2646", "2660.00", None, [Reason.SL_WRONG_SIDE]),  # above its entry
        ("2645.00", "2644.80", "2660.00", ("2645.00", "2644.50", "2660.00"), []),  # stops level
        ("2645.00", "2640.00", "2644", None, [Reason.TP_WRONG_SIDE]),
        ("2645.00", "2630", "2660.00", None, [Reason.STOP_KEPT]),
    ],
)
def test_pending_order_levels_are_judged_against_its_entry(
    price: str, sl: str, tp: str, expected: tuple[str, str, str] | None, reasons: list[Reason]
) -> None:
    op = Operation(kind=ChangeKind.ORDER, target="7", price=D(price), sl=D(sl), tp=D(tp))
    checked = check_operations([op], [], [ORDER], {}, SPECS, Policy())
    assert [r.reason for r in checked.refusals] == reasons
    if expected is None:
        assert checked.operations == ()
    else:
        [out] = checked.operations
        assert (out.price, out.sl, out.tp) == tuple(D(v) for v in expected)


def _result(status: Status, reason: Reason = Reason.NONE) -> TradeResult:
    return TradeResult(intent_id="i", user_id="u", status=status, reason=reason)


REFUSAL = Refusal(
    target="2",
    symbol="EURUSD",
    level="SL",
    price=D(2645),
    reason=Reason.PRICE_DECIMAL_SLIP,
    detail="it is a power of ten away",
)


def test_a_result_with_nothing_sent_takes_the_first_refusals_reason() -> None:
    result = with_refusals(
        _result(Status.SKIPPED, Reason.NOTHING_TO_CHANGE),
        Checked(operations=(), refusals=(REFUSAL,)),
    )
    assert (result.status, result.reason) == (Status.SKIPPED, Reason.PRICE_DECIMAL_SLIP)
    assert result.notes == (REFUSAL.note,) and REFUSAL.note in result.detail


def test_an_applied_result_keeps_its_status_and_notes_the_refusals() -> None:
    checked = Checked(operations=(), refusals=(REFUSAL,), notes=("SL moved",))
    result = with_refusals(_result(Status.APPLIED), checked)
    assert (result.status, result.reason) == (Status.APPLIED, Reason.NONE)
    assert result.notes == ("SL moved", REFUSAL.note)


@pytest.mark.parametrize("sl", ["1e30", "1e-30", "9" * 60, "0"])
def test_an_absurd_level_is_refused_as_a_slip_not_a_crash(sl: str) -> None:
    op = _sl("1", str(round_price(D(sl), SPECS["XAUUSD"])), GOLD.tp)
    checked = _check(op)
    assert checked.operations == () and checked.refusals[0].reason is Reason.PRICE_DECIMAL_SLIP
