"""The kill switch is the safety path: it tries every trade, retries timeouts, reports the rest."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal as D
from pathlib import Path
from typing import Any

import pytest

from api_world import ApiWorld
from builders import GOLD_BUY
from faulty import FaultyBroker, Script
from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core.errors import BrokerRejected, BrokerUnavailable, InvalidInput
from signal_copier.core.market import DealReason
from signal_copier.core.model import ChangeKind, Side
from signal_copier.core.reasons import Reason
from signal_copier.services import control
from world import World

NO_WAIT = (0.0, 0.0)
EURUSD_BUY = "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900"


class Scripted:
    """Holds the world's FaultyBroker and lets each test set the script after arranging."""

    def __init__(self) -> None:
        self.script: Script = lambda name, args: None
        self.broker: FaultyBroker | None = None

    def wrap(self, paper: PaperBroker) -> FaultyBroker:
        self.broker = FaultyBroker(paper, lambda name, args: self.script(name, args))
        return self.broker

    def calls(self, method: str) -> Counter[str]:
        assert self.broker is not None
        return Counter(str(args[0]) for name, args in self.broker.calls if name == method)


async def _three_trades(tmp_path: Path) -> tuple[World, Scripted, PaperAccount]:
    scripted = Scripted()
    world = World(tmp_path, wrap=scripted.wrap)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)  # two positions (one per TP)
    await world.say(EURUSD_BUY, id=2)  # a third
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=3)  # a pending order
    assert len(await account.positions()) == 3 and len(await account.orders()) == 1
    return world, scripted, account


async def test_a_refused_close_does_not_stop_the_others_and_is_reported_still_open(
    tmp_path: Path,
) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    first = (await account.positions())[0]
    refusal = BrokerRejected("market closed for XAUUSD", reason=Reason.BROKER_REJECTED)
    scripted.script = lambda name, args: (
        refusal if name == "close_position" and args[0] == first.id else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert [p.id for p in await account.positions()] == [first.id]
    assert await account.orders() == []
    assert [(s.kind, s.target, s.error) for s in report.still_open] == [
        ("position", first.id, "market closed for XAUUSD")
    ]
    assert Counter(c.kind for c in report.changes) == {ChangeKind.CLOSE: 2, ChangeKind.CANCEL: 1}
    assert report.paused and not report.complete


async def test_a_close_that_times_out_is_tried_again_until_it_goes_through(
    tmp_path: Path,
) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    second = (await account.positions())[1]
    timeouts = iter([BrokerUnavailable("timed out"), BrokerUnavailable("timed out")])
    scripted.script = lambda name, args: (
        next(timeouts, None) if name == "close_position" and args[0] == second.id else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert await account.positions() == [] and await account.orders() == []
    assert report.complete and len(report.changes) == 4
    assert scripted.calls("close_position")[second.id] == 3


async def test_retries_are_bounded_and_what_never_closed_is_reported(tmp_path: Path) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    order = (await account.orders())[0]
    scripted.script = lambda name, args: (
        BrokerUnavailable("timed out") if name == "cancel_order" else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=(0.0,) * 4)

    assert scripted.calls("cancel_order")[order.id] == 5  # one pass and four retries
    assert [(s.kind, s.target, s.symbol) for s in report.still_open] == [
        ("order", order.id, "XAUUSD")
    ]
    assert await account.positions() == []


async def test_a_timeout_after_the_broker_closed_is_not_reported_as_open(tmp_path: Path) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    paper = world.paper.account("acc-alice")
    last = (await account.positions())[-1]

    def closes_then_times_out(name: str, args: tuple[Any, ...]) -> Exception | None:
        if name == "close_position" and args[0] == last.id:
            paper.ledger.close(last.id, None, DealReason.CLOSE)
            return BrokerUnavailable("timed out after sending")
        return None

    scripted.script = closes_then_times_out

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert await account.positions() == []
    assert report.still_open == () and report.complete


async def test_a_position_closed_by_its_sl_mid_sweep_is_not_a_failure(tmp_path: Path) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    gone = (await account.positions())[0]
    scripted.script = lambda name, args: (
        BrokerRejected(f"no open position {gone.id!r}", reason=Reason.NOT_FOUND)
        if name == "close_position" and args[0] == gone.id
        else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert report.complete and len(report.changes) == 3


async def test_an_unexpected_error_on_one_trade_spares_none_of_the_others(tmp_path: Path) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    odd = (await account.positions())[1]
    scripted.script = lambda name, args: (
        KeyError("Bearer sk_live_9f8e7d6c5b4a")
        if name == "close_position" and args[0] == odd.id
        else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert [p.id for p in await account.positions()] == [odd.id]
    (still,) = report.still_open
    assert still.error.startswith("KeyError") and "sk_live" not in still.error


async def test_an_account_that_cannot_be_listed_is_reported_and_copying_is_still_paused(
    tmp_path: Path,
) -> None:
    world, scripted, _ = await _three_trades(tmp_path)
    scripted.script = lambda name, args: (
        BrokerUnavailable("timed out") if name == "positions" else None
    )

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert report.paused and not report.complete
    assert report.errors == ("could not list the account's trades: timed out",)
    await world.say(GOLD_BUY, id=9)
    assert (await world.last("alice")).result.reason == "kill_switch"


async def test_a_user_without_an_account_is_paused_and_told_why(tmp_path: Path) -> None:
    world = World(tmp_path)
    await world.add_user("alice", connect=False)

    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert report.paused and report.errors == ("connect a broker account first",)


async def test_manual_trades_are_left_alone_when_others_fail(tmp_path: Path) -> None:
    world, scripted, account = await _three_trades(tmp_path)
    manual = await account.open_manual("EURUSD", Side.SELL, D("0.10"))
    scripted.script = lambda name, args: (
        BrokerUnavailable("timed out") if name == "cancel_order" else None
    )

    await control.kill_switch(world.deps, "alice", world.now, retry_delays=NO_WAIT)

    assert [p.id for p in await account.positions()] == [manual.id]


async def test_an_unknown_user_is_refused(tmp_path: Path) -> None:
    world = World(tmp_path)

    with pytest.raises(InvalidInput, match="nobody"):
        await control.kill_switch(world.deps, "nobody", world.now)


def test_the_api_shows_what_the_kill_switch_left_and_why(tmp_path: Path) -> None:
    api = ApiWorld(tmp_path)
    token = {"Authorization": f"Bearer {asyncio.run(api.token('tg1'))}"}

    with api.client() as client:  # no broker connected yet: nothing can be closed, say so
        answer = client.post("/api/users/tg1/kill", headers=token, json={"confirm": "KILL"})

    assert answer.status_code == 200
    body = answer.json()
    assert (body["changes"], body["still_open"], body["complete"]) == (0, [], False)
    assert body["errors"] == ["connect a broker account first"]
