"""Money path properties: sizes never round up, splits add up, stops sit on the safe side."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from builders import eurusd_spec, gold_spec, make_signal, quote, settings
from signal_copier.core.guards import Skip
from signal_copier.core.model import OrderPlan, OrderType, Side
from signal_copier.core.planning import plan_orders
from signal_copier.core.sizing import SizingError, split_volume, total_volume

prices = st.decimals(min_value=D("2500"), max_value=D("2800"), places=2)
risk = st.decimals(min_value=D("0.1"), max_value=D("10"), places=2)
balances = st.decimals(min_value=D("100"), max_value=D("1000000"), places=2)


@given(
    balance=balances,
    percent=risk,
    entry=prices,
    distance=st.decimals(min_value=D("0.5"), max_value=D("100"), places=2),
)
def test_risk_sizing_never_risks_more_than_asked(
    balance: D, percent: D, entry: D, distance: D
) -> None:
    spec = gold_spec()
    chosen = settings(risk_mode="risk_percent", risk_percent=str(percent), max_lot="100")
    try:
        volume = total_volume(chosen, balance=balance, entry=entry, sl=entry - distance, spec=spec)
    except SizingError as e:
        refused = e.reason
    else:
        refused = ""
    if refused:
        assert refused == "volume_too_small"
        return
    loss = volume * distance / spec.tick_size * spec.tick_value
    assert loss <= balance * percent / 100
    assert volume % spec.volume_step == 0 and spec.volume_min <= volume <= spec.volume_max


@given(
    total=st.decimals(min_value=D("0.01"), max_value=D("50"), places=2),
    weights=st.lists(
        st.decimals(min_value=D("0.1"), max_value=D("5"), places=1), min_size=1, max_size=6
    ),
)
def test_split_adds_up_and_respects_the_minimum(total: D, weights: list[D]) -> None:
    spec = eurusd_spec()
    legs = split_volume(total, weights, spec)
    assert sum(legs) == total
    assert all(leg >= spec.volume_min and leg % spec.volume_step == 0 for leg in legs)
    assert 1 <= len(legs) <= len(weights)


@given(
    side=st.sampled_from(list(Side)),
    entry=prices,
    sl_gap=st.decimals(min_value=D("1"), max_value=D("50"), places=1),
    tp_gaps=st.lists(
        st.decimals(min_value=D("1"), max_value=D("50"), places=1), min_size=0, max_size=5
    ),
    bid=prices,
    order_type=st.sampled_from(list(OrderType)),
)
def test_a_plan_never_puts_sl_or_tp_on_the_wrong_side_of_its_entry(
    side: Side, entry: D, sl_gap: D, tp_gaps: list[D], bid: D, order_type: OrderType
) -> None:
    signal = make_signal(
        side=side,
        order_type=order_type,
        entry=entry,
        sl=entry - side.sign * sl_gap,
        tps=tuple(entry + side.sign * sum(tp_gaps[: i + 1]) for i in range(len(tp_gaps))),
    )
    plan = plan_orders(
        intent_id="i",
        client_id="sc",
        signal=signal,
        settings=settings(lot="0.5"),
        spec=gold_spec(),
        quote=quote(str(bid), str(bid + D("0.3"))),
        balance=D(10_000),
        broker_symbol="XAUUSD",
    )
    if isinstance(plan, Skip):
        return
    assert isinstance(plan, OrderPlan) and sum(o.volume for o in plan.orders) == D("0.5")
    for order in plan.orders:
        fill = (
            order.price
            if order.price is not None
            else (bid if side is Side.BUY else bid + D("0.3"))
        )
        assert order.sl is not None and (fill - order.sl) * side.sign > 0
        assert order.tp is None or (order.tp - entry) * side.sign > 0
