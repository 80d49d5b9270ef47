"""Planning judges levels as the broker will: SL side per entry type, stops level, netting."""

from decimal import Decimal as D

import pytest

from builders import eurusd_spec, gold_spec, make_signal, quote, settings
from signal_copier.core.guards import Skip
from signal_copier.core.market import MarginMode, SymbolSpec
from signal_copier.core.model import OrderPlan, OrderType, Side, Signal
from signal_copier.core.planning import plan_orders
from signal_copier.core.settings import TradeSettings
from signal_copier.core.stops import clear_level, nearest_entry

GOLD = quote("2650.00", "2650.30")  # gold's stops level: 50 points = 0.50


def _plan(
    signal: Signal,
    chosen: TradeSettings | None = None,
    *,
    spec: SymbolSpec | None = None,
    q: object = None,
    margin_mode: MarginMode = MarginMode.HEDGING,
    held: int = 0,
) -> OrderPlan | Skip:
    return plan_orders(
        intent_id="i1",
        client_id="scabc",
        signal=signal,
        settings=chosen or settings(lot="0.10"),
        spec=spec or gold_spec(),
        quote=q or GOLD,  # type: ignore[arg-type]
        balance=D(10000),
        broker_symbol="XAUUSD",
        margin_mode=margin_mode,
        held_on_symbol=held,
    )


def _orders(plan: OrderPlan | Skip) -> list[tuple[OrderType, D | None, D | None, D | None]]:
    assert isinstance(plan, OrderPlan), plan
    return [(o.order_type, o.price, o.sl, o.tp) for o in plan.orders]


# The SL is judged where the order fills (#10)


@pytest.mark.parametrize(
    ("signal", "placed"),
    [
        # a market buy's SL above the bid, a market sell's below the ask: refused
        (make_signal(sl=D("2650.10"), tps=(D(2660),)), False),
        (make_signal(side=Side.SELL, sl=D("2650.20"), tps=(D(2640),)), False),
        # a buy stop above the price with its SL between price and entry: placed
        (make_signal(order_type=OrderType.STOP, entry=D(2660), sl=D(2652), tps=(D(2670),)), True),
        # a sell stop below the price with its SL between entry and price: placed
        (
            make_signal(
                side=Side.SELL, order_type=OrderType.STOP, entry=D(2640), sl=D(2648), tps=(D(2630),)
            ),
            True,
        ),
        # a buy limit whose SL is above its own entry: refused against the entry
        (make_signal(order_type=OrderType.LIMIT, entry=D(2640), sl=D(2641), tps=(D(2660),)), False),
    ],
)
def test_sl_is_judged_against_the_entry_for_pending_and_the_price_for_market(
    signal: Signal, placed: bool
) -> None:
    plan = _plan(signal)
    if placed:
        assert isinstance(plan, OrderPlan)
    else:
        assert isinstance(plan, Skip) and plan.reason == "sl_wrong_side"


def test_eurusd_buy_stop_above_the_market_keeps_its_sl_between_market_and_entry() -> None:
    signal = make_signal(
        symbol="EURUSD",
        order_type=OrderType.STOP,
        entry=D("1.0900"),
        sl=D("1.0870"),
        tps=(D("1.0950"),),
    )
    plan = _plan(signal, spec=eurusd_spec(), q=quote("1.08500", "1.08508", "EURUSD"))
    assert _orders(plan) == [(OrderType.STOP, D("1.09000"), D("1.08700"), D("1.09500"))]


# The stops level (#12)


@pytest.mark.parametrize(
    ("side", "order_type", "entry", "near_entry", "expected"),
    [
        (Side.BUY, OrderType.LIMIT, "2650", "market", (OrderType.MARKET, None)),
        (Side.BUY, OrderType.LIMIT, "2650", "move", (OrderType.LIMIT, D("2649.80"))),
        (Side.BUY, OrderType.STOP, "2650.50", "market", (OrderType.MARKET, None)),
        (Side.BUY, OrderType.STOP, "2650.50", "move", (OrderType.STOP, D("2650.80"))),
        (Side.SELL, OrderType.LIMIT, "2650.20", "market", (OrderType.MARKET, None)),
        (Side.SELL, OrderType.LIMIT, "2650.20", "move", (OrderType.LIMIT, D("2650.50"))),
        (Side.SELL, OrderType.STOP, "2649.80", "move", (OrderType.STOP, D("2649.50"))),
        # exactly the stops level away is accepted as it is
        (Side.BUY, OrderType.LIMIT, "2649.80", "market", (OrderType.LIMIT, D("2649.80"))),
    ],
)
def test_pending_entry_within_the_stops_level_goes_to_market_or_the_nearest_price(
    side: Side, order_type: OrderType, entry: str, near_entry: str, expected: tuple[object, ...]
) -> None:
    sl, tp = (D(2630), D(2680)) if side is Side.BUY else (D(2670), D(2620))
    signal = make_signal(side=side, order_type=order_type, entry=D(entry), sl=sl, tps=(tp,))
    plan = _plan(signal, settings(lot="0.10", near_entry=near_entry))
    assert isinstance(plan, OrderPlan)
    assert {(o.order_type, o.price) for o in plan.orders} == {expected}
    if expected[1] != D(entry):
        assert any("stops level" in note for note in plan.notes)


@pytest.mark.parametrize(
    ("side", "sl", "tps", "levels"),
    [
        (Side.BUY, "2649.80", ("2650.40", "2660"), [("2649.50", "2650.50"), ("2649.50", "2660")]),
        (Side.SELL, "2650.50", ("2649.90",), [("2650.80", "2649.80")]),  # judged at the ask
        (Side.BUY, "2649.50", ("2650.50",), [("2649.50", "2650.50")]),  # already clear
    ],
)
def test_market_sl_and_tp_within_the_stops_level_are_moved_out_and_noted(
    side: Side, sl: str, tps: tuple[str, ...], levels: list[tuple[str, str]]
) -> None:
    signal = make_signal(side=side, entry=None, sl=D(sl), tps=tuple(D(t) for t in tps))
    plan = _plan(signal, settings(lot="0.20"))
    assert [(o.sl, o.tp) for o in _plan_orders(plan)] == [(D(s), D(t)) for s, t in levels]


def _plan_orders(plan: OrderPlan | Skip) -> list:  # type: ignore[type-arg]
    assert isinstance(plan, OrderPlan), plan
    return list(plan.orders)


def test_pending_sl_within_the_stops_level_of_its_entry_is_moved_out() -> None:
    signal = make_signal(order_type=OrderType.LIMIT, entry=D(2640), sl=D("2639.80"), tps=(D(2660),))
    assert _orders(_plan(signal)) == [(OrderType.LIMIT, D("2640.00"), D("2639.50"), D("2660.00"))]


def test_a_moved_sl_sizes_the_position_from_the_moved_distance() -> None:
    signal = make_signal(entry=None, sl=D("2649.90"), tps=(D(2660),))
    plan = _plan(signal, settings(risk_mode="risk_percent", risk_percent="1"))
    # risk 100 USD over 0.80 (ask 2650.30 to SL 2649.50) × 100 oz → 1.25 lots
    assert isinstance(plan, OrderPlan) and plan.orders[0].volume == D("1.25")


@pytest.mark.parametrize(
    ("level", "reference", "side", "protective", "expected"),
    [
        ("99.95", "100.00", Side.BUY, True, "99.75"),  # tick 0.25: rounded away, never inside
        ("100.10", "100.00", Side.BUY, False, "100.25"),
        ("100.10", "100.00", Side.SELL, True, "100.25"),
        ("99.00", "100.00", Side.BUY, True, "99.00"),
        ("100.00", "100.00", Side.BUY, True, None),  # on the price: wrong side
        ("101.00", "100.00", Side.BUY, True, None),
        ("99.00", "100.00", Side.BUY, False, None),
    ],
)
def test_clear_level_table(
    level: str, reference: str, side: Side, protective: bool, expected: str | None
) -> None:
    spec = gold_spec(point=D("0.01"), tick_size=D("0.25"), stops_level=20)  # 0.20
    cleared = clear_level(D(level), D(reference), side, protective=protective, spec=spec)
    assert cleared == (None if expected is None else D(expected))


def test_nearest_entry_with_no_stops_level_is_one_tick_past_the_market_at_most() -> None:
    spec = gold_spec(stops_level=0)
    assert nearest_entry(Side.BUY, OrderType.LIMIT, GOLD, spec) == D("2650.30")


# Netting accounts


@pytest.mark.parametrize("mode", [MarginMode.NETTING, MarginMode.EXCHANGE])
def test_a_netting_account_is_refused_by_default(mode: MarginMode) -> None:
    plan = _plan(make_signal(), margin_mode=mode)
    assert isinstance(plan, Skip) and plan.reason == "netting_account"


@pytest.mark.parametrize(
    ("netting_tp", "leg", "tp"),
    [(1, 0, D("2655.00")), (2, 1, D("2660.00")), (5, 1, D("2660.00"))],
)
def test_a_netting_account_set_to_single_gets_one_position_with_the_chosen_tp(
    netting_tp: int, leg: int, tp: D
) -> None:
    chosen = settings(lot="0.30", netting="single", netting_tp=netting_tp)
    plan = _plan(make_signal(), chosen, margin_mode=MarginMode.NETTING)
    assert isinstance(plan, OrderPlan)
    assert [(o.leg, o.client_id, o.volume, o.tp) for o in plan.orders] == [
        (leg, f"scabc.{leg}", D("0.30"), tp)
    ]
    assert any(f"TP{leg + 1}" in note for note in plan.notes)


def test_a_netting_account_never_opens_into_what_the_symbol_already_holds() -> None:
    chosen = settings(netting="single")
    plan = _plan(make_signal(), chosen, margin_mode=MarginMode.NETTING, held=1)
    assert isinstance(plan, Skip) and plan.reason == "netting_account"


def test_a_hedging_account_ignores_what_the_symbol_holds() -> None:
    assert isinstance(_plan(make_signal(), held=3), OrderPlan)


def test_an_entry_too_near_waits_at_the_nearest_price_when_market_would_not_protect() -> None:
    # At market the buy would close at the bid 2650.00, below its SL 2650.10: wait instead.
    signal = make_signal(
        order_type=OrderType.STOP, entry=D("2650.50"), sl=D("2650.10"), tps=(D(2660),)
    )
    assert _orders(_plan(signal)) == [(OrderType.STOP, D("2650.80"), D("2650.10"), D("2660.00"))]
