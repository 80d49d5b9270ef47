from decimal import Decimal as D

import pytest

from builders import gold_spec, make_signal, quote, settings
from signal_copier.core.guards import Skip
from signal_copier.core.model import OrderPlan, OrderType, Side
from signal_copier.core.parsing import parse
from signal_copier.core.planning import choose_entry, plan_orders


def _plan(signal, chosen=None, q=None, balance="10000") -> OrderPlan | Skip:  # type: ignore[no-untyped-def]
    return plan_orders(
        intent_id="i1",
        client_id="scabc",
        signal=signal,
        settings=chosen or settings(lot="0.10"),
        spec=gold_spec(),
        quote=q or quote("2650.00", "2650.30"),
        balance=D(balance),
        broker_symbol="XAUUSD.m",
    )


def test_market_signal_opens_one_position_per_tp_with_its_own_tp() -> None:
    plan = _plan(make_signal(tps=(D(2655), D(2660), D(2670))))
    assert isinstance(plan, OrderPlan)
    assert [o.tp for o in plan.orders] == [D("2655.00"), D("2660.00"), D("2670.00")]
    assert [o.volume for o in plan.orders] == [D("0.04"), D("0.03"), D("0.03")]
    assert {o.order_type for o in plan.orders} == {OrderType.MARKET}
    assert [o.client_id for o in plan.orders] == ["scabc.0", "scabc.1", "scabc.2"]
    assert {o.symbol for o in plan.orders} == {"XAUUSD.m"}


def test_buy_limit_below_price_becomes_pending_at_entry() -> None:
    plan = _plan(make_signal(order_type=OrderType.LIMIT, entry=D(2645), sl=D(2635)))
    assert isinstance(plan, OrderPlan)
    assert {(o.order_type, o.price) for o in plan.orders} == {(OrderType.LIMIT, D("2645.00"))}


def test_buy_limit_already_reached_is_taken_at_market() -> None:
    entry = choose_entry(
        make_signal(order_type=OrderType.LIMIT, entry=D(2655)),
        settings(),
        gold_spec(),
        quote("2650.00", "2650.30"),
    )
    assert not isinstance(entry, Skip)
    assert entry.order_type is OrderType.MARKET


def test_sell_zone_above_price_waits_with_limit_at_lower_edge() -> None:
    signal = make_signal(
        side=Side.SELL,
        order_type=OrderType.LIMIT,
        entry=None,
        entry_range=(D(2662), D(2665)),
        sl=D(2670),
        tps=(D(2650),),
    )
    plan = _plan(signal)
    assert isinstance(plan, OrderPlan)
    assert plan.orders[0].order_type is OrderType.LIMIT and plan.orders[0].price == D("2662.00")


@pytest.mark.parametrize(
    ("text", "price"),
    [
        ("XAUUSD BUY LIMIT SL 2640 TP 2660", ("2650.00", "2650.30")),
        ("XAUUSD SELL STOP SL 2660 TP 2640", ("2650.00", "2650.30")),
    ],
)
def test_a_pending_order_without_its_entry_price_is_refused_never_placed_at_market(
    text: str, price: tuple[str, str]
) -> None:
    (signal,) = parse(text).signals
    plan = _plan(signal, q=quote(*price))
    assert isinstance(plan, Skip) and plan.reason == "no_entry"
    assert f"{signal.order_type} order needs its entry price" in plan.detail


def test_a_market_signal_without_an_entry_price_is_still_taken_at_market() -> None:
    plan = _plan(make_signal(entry=None))
    assert isinstance(plan, OrderPlan)
    assert {o.order_type for o in plan.orders} == {OrderType.MARKET}


def test_price_inside_zone_is_taken_at_market() -> None:
    signal = make_signal(entry=None, entry_range=(D(2648), D(2652)))
    entry = choose_entry(signal, settings(), gold_spec(), quote("2650.00", "2650.30"))
    assert not isinstance(entry, Skip) and entry.order_type is OrderType.MARKET


def test_price_ran_away_becomes_limit_by_default() -> None:
    entry = choose_entry(
        make_signal(entry=D(2640), sl=D(2630)), settings(), gold_spec(), quote("2650.00", "2650.30")
    )
    assert not isinstance(entry, Skip)
    assert (entry.order_type, entry.price) == (OrderType.LIMIT, D(2640))


def test_price_ran_away_is_skipped_when_the_setting_says_skip() -> None:
    entry = choose_entry(
        make_signal(entry=D(2640), sl=D(2630)),
        settings(far_entry="skip"),
        gold_spec(),
        quote("2650.00", "2650.30"),
    )
    assert isinstance(entry, Skip) and entry.reason == "price_too_far"


def test_a_call_to_buy_now_whose_price_ran_past_tp1_is_skipped_not_left_waiting() -> None:
    entry = choose_entry(
        make_signal(entry=D(2640), sl=D(2630), tps=(D(2648), D(2660)), order_type_implicit=False),
        settings(),
        gold_spec(),
        quote("2650.00", "2650.30"),
    )
    assert isinstance(entry, Skip) and entry.reason == "price_too_far"
    assert "past TP1 2648" in entry.detail


def test_a_buy_limit_below_a_price_past_its_tp1_still_waits_at_its_entry() -> None:
    entry = choose_entry(
        make_signal(order_type=OrderType.LIMIT, entry=D(2640), sl=D(2630), tps=(D(2648),)),
        settings(),
        gold_spec(),
        quote("2650.00", "2650.30"),
    )
    assert not isinstance(entry, Skip)
    assert (entry.order_type, entry.price) == (OrderType.LIMIT, D(2640))


def test_small_slippage_within_distance_is_taken_at_market() -> None:
    entry = choose_entry(
        make_signal(entry=D(2649)), settings(), gold_spec(), quote("2650.00", "2650.30")
    )
    assert not isinstance(entry, Skip) and entry.order_type is OrderType.MARKET


def test_signal_without_sl_is_skipped_by_default() -> None:
    plan = _plan(make_signal(sl=None))
    assert isinstance(plan, Skip) and plan.reason == "no_sl"


def test_signal_without_sl_gets_the_default_sl_in_pips_when_configured() -> None:
    plan = _plan(make_signal(sl=None), settings(no_sl="default_sl", default_sl_pips="50"))
    assert isinstance(plan, OrderPlan)
    assert plan.orders[0].sl == D("2645.30")  # 50 pips × 0.1 below the ask 2650.30


def test_sl_and_tp_given_in_pips_become_prices() -> None:
    plan = _plan(make_signal(sl=None, tps=(), sl_pips=D(30), tp_pips=(D(50),), entry=None))
    assert isinstance(plan, OrderPlan)
    assert (plan.orders[0].sl, plan.orders[0].tp) == (D("2647.30"), D("2655.30"))


def test_tp_open_adds_a_runner_without_tp() -> None:
    plan = _plan(make_signal(tps=(D(2655),), tp_open=True), settings(lot="0.02"))
    assert isinstance(plan, OrderPlan)
    assert [o.tp for o in plan.orders] == [D("2655.00"), None]


def test_positions_per_signal_are_capped() -> None:
    plan = _plan(
        make_signal(tps=tuple(D(2651 + i) for i in range(8))),
        settings(lot="1", max_positions_per_signal=3),
    )
    assert isinstance(plan, OrderPlan) and len(plan.orders) == 3


@pytest.mark.parametrize(
    ("split", "volumes"), [(["2", "1"], ["0.27", "0.13"]), (["1", "3"], ["0.1", "0.3"])]
)
def test_tp_split_weights_the_volume(split: list[str], volumes: list[str]) -> None:
    plan = _plan(make_signal(), settings(lot="0.40", tp_split=split))
    assert isinstance(plan, OrderPlan)
    assert [o.volume for o in plan.orders] == [D(v) for v in volumes]


@pytest.mark.parametrize(
    "text",
    ["XAUUSD BUY 2650\nSL: PREMIUM\nTP: 2660", "XAUUSD BUY 2650\nTP 2660\nNo stoploss"],
)
def test_a_withheld_stop_is_read_as_written_and_the_default_settings_still_refuse_it(
    text: str,
) -> None:
    signal = parse(text).signals[0]

    plan = _plan(signal)

    assert signal.sl is None
    assert isinstance(plan, Skip) and plan.reason == "no_sl"
