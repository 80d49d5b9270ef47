"""The paper broker's state survives a save and a load exactly (a local run resumes on it)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from typing import Any

import pytest

from signal_copier.broker.paper import PaperBroker, state
from signal_copier.core.errors import InvalidInput
from signal_copier.core.market import EventKind
from signal_copier.core.model import OrderRequest, OrderType, Side

START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


def _order(client_id: str, **fields: Any) -> OrderRequest:
    base: dict[str, Any] = {
        "client_id": client_id,
        "symbol": "XAUUSD.m",
        "side": Side.BUY,
        "order_type": OrderType.MARKET,
        "volume": D("0.10"),
        "sl": D("2640"),
    }
    return OrderRequest(**{**base, **fields})


async def _busy_broker() -> PaperBroker:
    broker = PaperBroker(now=START)
    broker.clock_offset = timedelta(seconds=-2)  # a server running behind
    alice = broker.open_account("acc-alice", balance=D(10_000), symbol_suffix=".m")
    broker.open_account("acc-bob", balance=D(500), currency="EUR", aliases={"GOLD": "XAUUSD"})
    await alice.place(_order("sc1.0", tp=D("2660")))
    await alice.place(_order("sc1.1"))
    await alice.place(_order("sc2.0", order_type=OrderType.LIMIT, price=D("2600"), sl=D("2590")))
    later = START + timedelta(minutes=5)
    broker.set_quotes({"XAUUSD": (D("2661.10"), D("2661.40"))}, later)  # TP hit: a closing deal
    await alice.close_position((await alice.positions())[0].id, D("0.05"))
    return broker


async def _observed(broker: PaperBroker) -> dict[str, Any]:
    seen: dict[str, Any] = {
        "now": broker.now,
        "offset": broker.clock_offset,
        "quotes": broker.venue.quotes(),
    }
    for account in broker.accounts():
        seen[account.account_id] = (
            await account.account_info(),
            await account.positions(),
            await account.orders(),
            await account.history(START),
            await account.symbols(),
        )
    return seen


async def test_a_saved_broker_loads_with_the_same_accounts_trades_prices_and_clock() -> None:
    broker = await _busy_broker()

    loaded = state.load(json.loads(json.dumps(state.dump(broker))))

    assert await _observed(loaded) == await _observed(broker)


async def test_a_loaded_broker_goes_on_with_new_ticket_numbers_and_the_same_fills() -> None:
    broker = await _busy_broker()
    loaded = state.load(json.loads(json.dumps(state.dump(broker))))
    later = START + timedelta(minutes=9)

    events = loaded.set_quotes({"XAUUSD": (D("2599.0"), D("2599.3"))}, later)
    expected = broker.set_quotes({"XAUUSD": (D("2599.0"), D("2599.3"))}, later)

    assert events == expected
    assert {e.kind for e in events} == {EventKind.ORDER_FILLED, EventKind.POSITION_CLOSED}
    fresh = await loaded.account("acc-alice").place(_order("sc3.0", sl=D("2590")))
    used = {d.id for d in loaded.account("acc-alice").ledger.deals[:-1]}
    assert fresh.order_id not in used


@pytest.mark.parametrize(
    ("damage", "complaint"),
    [
        (lambda s: s.update(format=9), "paper.format"),
        (lambda s: s.update(now="yesterday"), "paper.now"),
        (lambda s: s.update(last_id=-1), "paper.last_id"),
        (lambda s: s.update(clock_offset_us="x"), "paper.clock_offset_us"),
        (lambda s: s["quotes"].update(XAUUSD=["2650"]), "paper.quotes.XAUUSD"),
        (lambda s: s["quotes"].update(XAUUSD=["1e30", "1e30"]), "paper.quotes: XAUUSD"),
        (lambda s: s["quotes"].update(NOPE=["1", "2"]), "paper.quotes: no paper symbol 'NOPE'"),
        (lambda s: s.update(accounts={}), "paper.accounts"),
        (lambda s: s["accounts"][0].pop("balance"), r"paper.accounts\[0\]"),
        (lambda s: s["accounts"][0]["positions"][0].update(volume="x"), r"\[0\].positions"),
        (lambda s: s["accounts"][1].update(account_id="acc-alice"), "already exists"),
    ],
)
async def test_a_damaged_state_is_refused_naming_the_field(damage: Any, complaint: str) -> None:
    saved = json.loads(json.dumps(state.dump(await _busy_broker())))
    damage(saved)

    with pytest.raises(InvalidInput, match=complaint):
        state.load(saved)
