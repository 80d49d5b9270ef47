"""Attack, third round: new ways to lose a trader money, each reproduced, then fixed (review).

Every scenario failed on the code it was found in and now proves its fix; a known limit would be
marked xfail(strict) with its reason. Scenarios taking the `world` fixture also run with intents
shuffled and duplicated (tests/integration/conftest.py).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path
from typing import Any

from builders import GOLD_BUY
from flaky import FlakyBroker
from hooks import Hooked
from signal_copier.broker.paper import PaperAccount, PaperBroker
from signal_copier.core import codec
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.fanout import intents_for
from signal_copier.core.market import Credentials
from signal_copier.core.model import OrderRequest, OrderType, Side
from signal_copier.core.records import Subscription
from signal_copier.services import control
from signal_copier.services.dead_letters import record_dead_letter
from signal_copier.services.deps import INTENTS_TOPIC
from world import World


async def test_close_ten_percent_of_a_minimum_lot_keeps_the_position(world: World) -> None:
    # Arrange: one position of 0.01 lots, the broker's minimum
    account = await world.add_user("alice", lot="0.01")
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)

    # Act: the nearest the broker allows to 10 % of 0.01 is closing nothing (0.001 off), not
    # closing all of it (0.009 off)
    await world.say("Close 10%", id=2, reply_to=1)

    # Assert: the position is kept, and the record says why
    assert [p.volume for p in await account.positions()] == [D("0.01")]
    record = await world.last("alice")
    assert record.result.reason == "volume_too_small"
    assert "nothing was closed" in record.result.detail


async def test_close_half_of_a_symbol_whose_minimum_is_half_a_lot_closes_what_it_may(
    world: World,
) -> None:
    # Arrange: 0.6 lots of an index whose minimum volume is 0.5: a part of it either is under
    # the minimum or leaves less than the minimum, so the broker allows all or nothing
    account = await world.add_user("alice", lot="0.6")
    await world.say("V10 BUY NOW\nSL 6400\nTP 6600", id=1)

    # Act
    await world.say("Close half", id=2, reply_to=1)

    # Assert: closed (as near to half as keeping it, and something is closed on a tie), never a
    # 0.1 lot close the broker refuses while the whole position stays open
    assert await account.positions() == []
    assert (await world.last("alice")).result.status == "applied"


async def test_a_bot_update_naming_its_position_closes_that_position_not_the_latest(
    world: World,
) -> None:
    # Arrange: a copier bot posts two trades, each with its own position id
    account = await world.add_user("alice", lot="0.10")
    await world.say("Position: aaaa1111\nXAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)
    await world.say("Position: bbbb2222\nEURUSD SELL NOW\nSL 1.0900\nTP 1.0800", id=2)

    # Act: its update names the first one
    await world.say("Position: aaaa1111\nClose now", id=3)

    # Assert: the gold trade is closed, the later EURUSD one is left alone
    assert [p.symbol for p in await account.positions()] == ["EURUSD"]


async def test_a_bot_stop_update_moves_the_stop_of_its_position_only(world: World) -> None:
    # Arrange: two gold trades of the same bot
    account = await world.add_user("alice", lot="0.10")
    await world.say("Position: aaaa1111\nXAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)
    await world.say("Position: bbbb2222\nXAUUSD BUY NOW\nSL 2641\nTP 2661", id=2)

    # Act: the update names the symbol and the first position
    await world.say("Stop moved\nSymbol: XAUUSD\nSL: 2645 ← 2640\nPosition: aaaa1111", id=3)

    # Assert: only that position's stop moved
    assert sorted(p.sl for p in await account.positions()) == [D("2641.00"), D("2645.00")]


async def test_a_close_replying_to_a_later_message_id_never_closes_a_later_signal(
    world: World,
) -> None:
    # Arrange: "Close now" carries a reply id above its own (no reply within a chat can: a
    # reply to another chat's message, or a corrupt publish); a signal then gets that id
    account = await world.add_user("alice", lot="0.20")
    close = world.post("Close now", id=2, reply_to=3)

    # Act
    await world.deliver(close)
    await world.say(GOLD_BUY, id=3)
    await world.settle()

    # Assert: the signal posted after the close stays open
    assert len(await account.positions()) == 2
    assert {r.result.reason for r in await world.records("alice")} == {"", "no_position"}


async def test_a_user_who_unfollowed_still_gets_the_close_after_a_follow_up_about_another_trade(
    world: World,
) -> None:
    # Arrange: alice's gold trade is open when she unfollows; the channel then posts a EURUSD
    # signal she does not copy, and a bare "Close half" about that one
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    await world.store.delete_subscription("alice", "c1")
    await world.say("EURUSD SELL NOW\nSL 1.0900\nTP 1.0800", id=2)
    await world.say("Close half", id=3)

    # Act: the channel closes the gold signal
    await world.say("Close now", id=4, reply_to=1)

    # Assert: her gold trade is closed (the half close about EURUSD did not cut her off)
    assert await account.positions() == []


THREE_TPS = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660\nTP3 2670"


async def _gave_up_with_two_legs(tmp_path: Path, **world: Any) -> tuple[World, Any]:
    # A user with a day's max signal age: the third leg's order keeps timing out until the
    # opening gives up after its attempts, recorded failed with the two legs that filled.
    built = World(tmp_path, wrap=lambda paper: FlakyBroker(paper, fail_on=range(3, 100)), **world)
    built.deps = built.pipeline.deps = replace(built.deps, breaker_threshold=1_000)
    account = await built.add_user(
        "alice", lot="0.30", max_signal_age_s=86_400, breakeven_on_tp1=True
    )
    await built.say(THREE_TPS, id=1)
    record = await built.last("alice")
    assert record.result.status == "failed" and len(record.result.fills) == 2
    return built, account


async def test_an_opening_that_gave_up_keeps_its_legs_managed_on_a_polled_account(
    tmp_path: Path,
) -> None:
    # Arrange: a real account's deals are polled by the sweep (no broker pushes events)
    world, account = await _gave_up_with_two_legs(tmp_path, poll_deals=True)

    # Act: TP1 is hit on the broker, and the sweep runs
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert: the runner moved to breakeven
    (runner,) = await account.positions()
    assert runner.sl == D("2650.30")


async def test_an_opening_that_gave_up_still_gets_its_close_after_the_user_unfollows(
    tmp_path: Path,
) -> None:
    # Arrange
    world, account = await _gave_up_with_two_legs(tmp_path)
    await world.store.delete_subscription("alice", "c1")

    # Act
    await world.say("Close now", id=2, reply_to=1)

    # Assert
    assert await account.positions() == []


async def test_a_dead_letter_recorded_while_an_attempt_is_placing_keeps_its_open_trade_slot(
    tmp_path: Path,
) -> None:
    # Arrange: at most one open trade; while the gold opening is about to place its order, a
    # copy of the same intent that the queue gave up on is recorded (the dead-letter handler
    # runs beside the live attempt), and then a EURUSD signal arrives from another chat
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10", chats=("c1", "c2"), max_open_trades=1)

    async def dead_letter_then_another_signal() -> None:
        stored = await world.store.message("c1:1:0")
        assert stored is not None
        (intent,) = intents_for(stored, [Subscription(user_id="alice", chat_id="c1")], "t")
        await record_dead_letter(INTENTS_TOPIC, codec.to_dict(intent), world.deps, world.now)
        await world.say("EURUSD SELL NOW\nSL 1.0900\nTP 1.0800", id=7, chat="c2")

    world.broker.before("place", dead_letter_then_another_signal, nth=1)

    # Act
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2660", id=1)

    # Assert: the live attempt's slot was not given back under it: one trade, as set
    assert [p.symbol for p in await account.positions()] == ["XAUUSD"]
    assert [r.result.status for r in await world.records("alice")] == ["placed", "skipped"]


SL_TYPO = GOLD_BUY.replace("SL 2640", "SL 2665")  # refused: the stop is above a buy's entry


async def test_a_fix_of_a_signal_posted_before_the_kill_switch_never_opens_after_it(
    world: World,
) -> None:
    # Arrange: a signal refused for its stop; the user presses the kill switch, then resumes
    account = await world.add_user("alice", lot="0.20")
    original = world.post(SL_TYPO, id=1)
    await world.deliver(original)
    await control.kill_switch(world.deps, "alice", world.later(2), retry_delays=())
    await control.resume(world.deps, "alice")

    # Act: the channel fixes the stop of its signal (an edit keeps its post's date)
    await world.say(GOLD_BUY, id=1, edited=True, date=original.date)

    # Assert: the signal was posted before the kill switch: it does not open now
    assert await account.positions() == []
    assert (await world.last("alice")).result.reason == "kill_switch"


async def test_a_late_edit_never_undoes_a_bare_follow_up_posted_after_it(world: World) -> None:
    # Arrange: the channel edits TP2 to 2663, then says "Move TP to 2670" without replying
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=1)
    await world.deliver(signal)
    edit = world.post(GOLD_BUY.replace("TP2 2660", "TP2 2663"), id=1, edited=True)
    edit = replace(edit, date=signal.date)
    move = world.post("Move TP to 2670", id=2)

    # Act: the edit is delivered after the follow-up
    await world.deliver(move, edit)
    await world.settle()

    # Assert: as in order, every TP at 2670 (not TP1 back at 2655, TP2 at 2663)
    assert {p.tp for p in await account.positions()} == {D("2670.00")}


TWO_SIGNALS = "XAUUSD BUY NOW\nSL 2640\nTP 2660\n\nEURUSD SELL NOW\nSL 1.0900\nTP 1.0800"


async def test_a_late_edit_of_a_posts_second_signal_never_undoes_a_follow_up_posted_after_it(
    world: World,
) -> None:
    # Arrange: a gold + EURUSD post; its EURUSD TP is edited to 1.0810, then the channel says
    # "Move EURUSD TP to 1.0790"
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(TWO_SIGNALS, id=1)
    await world.deliver(signal)
    edit = world.post(TWO_SIGNALS.replace("TP 1.0800", "TP 1.0810"), id=1, edited=True)
    edit = replace(edit, date=signal.date)
    move = world.post("Move EURUSD TP to 1.0790", id=2, reply_to=1)

    # Act: the edit is delivered after the follow-up
    await world.deliver(move, edit)
    await world.settle()

    # Assert: as in order, the EURUSD TP at 1.0790
    tps = {p.symbol: p.tp for p in await account.positions()}
    assert tps == {"XAUUSD": D("2660.00"), "EURUSD": D("1.07900")}


async def test_a_fix_of_a_signal_the_channel_already_closed_never_opens(world: World) -> None:
    # Arrange: a signal refused for its stop; the channel closes it by a reply
    account = await world.add_user("alice", lot="0.20")
    original = world.post(SL_TYPO, id=1)
    await world.deliver(original)
    await world.say("Close now", id=2, reply_to=1)

    # Act: later the channel fixes the stop of the post (an edit keeps its post's date)
    await world.say(GOLD_BUY, id=1, edited=True, date=original.date)

    # Assert: nothing opens a trade the channel is already out of
    assert await account.positions() == []
    assert (await world.last("alice")).result.reason == "signal_closed"


async def test_a_fix_arriving_after_a_bare_close_posted_after_it_never_stays_open(
    world: World,
) -> None:
    # Arrange: a signal refused for its stop; the channel fixes it, then says "Close now"
    account = await world.add_user("alice", lot="0.20")
    original = world.post(SL_TYPO, id=1)
    await world.deliver(original)
    fix = replace(world.post(GOLD_BUY, id=1, edited=True), date=original.date)
    close = world.post("Close now", id=2)

    # Act: the close arrives first, the edit after it
    await world.deliver(close, fix)
    await world.settle()

    # Assert: as in order (opened, then closed): nothing is left open
    assert await account.positions() == []


async def test_a_fix_still_opens_when_the_close_since_was_about_another_signal(
    world: World,
) -> None:
    # Arrange: a gold signal refused for its stop, then a EURUSD signal, closed by a bare close
    account = await world.add_user("alice", lot="0.20")
    original = world.post(SL_TYPO, id=1)
    await world.deliver(original)
    await world.say("EURUSD SELL NOW\nSL 1.0900\nTP 1.0800", id=2)
    await world.say("Close now", id=3)

    # Act: the channel fixes the gold signal's stop
    await world.say(GOLD_BUY, id=1, edited=True, date=original.date)

    # Assert: the close was about EURUSD: the fixed gold signal opens
    assert {p.symbol for p in await account.positions()} == {"XAUUSD"}


async def test_a_close_replying_to_another_chats_message_closes_nothing_here(world: World) -> None:
    # Arrange: the channel's latest signal is open; "Close now" replies to a message of another
    # chat, which the listener publishes as a reply to itself (telegram/telethon/session.py)
    account = await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say("Close now", id=2, reply_to=2)

    # Assert: it is not read as a bare "close the latest signal"
    assert len(await account.positions()) == 2
    assert (await world.last("alice")).result.reason == "no_position"


async def test_an_edit_of_tp2_leaves_the_tp1_the_user_set_by_hand(world: World) -> None:
    # Arrange: the user moved TP1's leg to 2658 by hand
    account = await world.add_user("alice", lot="0.20")
    signal = world.post(GOLD_BUY, id=1)
    await world.deliver(signal)
    first = min(await account.positions(), key=lambda p: p.client_id)
    await account.modify_position(first.id, sl=first.sl, tp=D("2658"))

    # Act: the channel edits TP2 only
    edit = GOLD_BUY.replace("TP2 2660", "TP2 2663")
    await world.say(edit, id=1, edited=True, date=signal.date)

    # Assert: TP2's leg moved; TP1's leg keeps the user's 2658 (not reset to 2655)
    tps = sorted((p.client_id, p.tp) for p in await account.positions())
    assert [tp for _, tp in tps] == [D("2658.00"), D("2663.00")]


async def test_a_pending_entry_that_fills_while_the_kill_switch_runs_is_closed_too(
    tmp_path: Path,
) -> None:
    # Arrange: a buy limit waits; the price reaches it just as the kill switch cancels it
    world, account = await _a_buy_limit_that_fills_when_cancelled(tmp_path)

    # Act
    report = await control.kill_switch(world.deps, "alice", world.now, retry_delays=())

    # Assert: the position it became is closed, not left open under a "complete" report
    assert await account.positions() == [] and await account.orders() == []
    assert report.complete


async def test_close_now_closes_the_entry_that_filled_while_it_was_being_cancelled(
    tmp_path: Path,
) -> None:
    # Arrange: a buy limit waits; the price reaches it just as "Close now" cancels it
    world, account = await _a_buy_limit_that_fills_when_cancelled(tmp_path)

    # Act
    await world.say("Close now", id=2, reply_to=1)

    # Assert: the position the entry became is closed too
    assert await account.positions() == [] and await account.orders() == []
    assert (await world.last("alice")).result.status == "applied"


async def test_a_close_half_retried_after_its_reply_was_lost_records_what_it_closed(
    tmp_path: Path,
) -> None:
    # Arrange: "Close half" closes half of each leg, but the reply to its second close is lost
    # (a user told that nothing was closed may well close half again by hand)
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.40")
    await world.say(GOLD_BUY, id=1)
    lost = BrokerUnavailable("timed out after the server closed")
    world.broker.fail(
        "close_position", nth=world.broker.calls("close_position") + 2, after=True, error=lost
    )

    # Act: the redelivery finds both closes already done
    await world.say("Close half", id=2, reply_to=1)

    # Assert: half is closed once, and the record lists both closes
    assert sum(p.volume for p in await account.positions()) == D("0.20")
    record = await world.last("alice")
    assert record.result.status == "applied"
    assert sorted((c.kind, c.volume) for c in record.result.changes) == [
        ("partial_close", D("0.1")),
        ("partial_close", D("0.1")),
    ]


async def test_a_gap_filled_bare_close_acts_on_the_signal_before_it_not_the_one_seen_live(
    world: World,
) -> None:
    # Arrange: a listener restarts: the EURUSD signal (3) is published live while the gap fill
    # still publishes the older "Close now" (2), whose previous id was taken from the live
    # message (what a listener's publisher did)
    account = await world.add_user("alice", lot="0.20")
    gold = world.post(GOLD_BUY, id=1)
    close = world.post("Close now", id=2)
    eurusd = world.post("EURUSD SELL NOW\nSL 1.0900\nTP 1.0800", id=3)
    eurusd, close = replace(eurusd, previous_id=1), replace(close, previous_id=3)

    # Act
    await world.deliver(gold, eurusd, close)
    await world.settle()

    # Assert: the close is about gold, the signal before it; EURUSD is posted after it
    assert {p.symbol for p in await account.positions()} == {"EURUSD"}


async def test_a_tp_hit_of_a_trade_not_yet_recorded_never_holds_up_another_trades_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: a polled account holds a copier trade whose opening is still being retried (on
    # the account, not recorded yet), and a recorded gold trade with breakeven at TP1
    world = World(tmp_path, poll_deals=True)
    account = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    retrying = OrderRequest(
        client_id=f"sc{'ab' * 9}.0",
        symbol="XAUUSD",
        side=Side.BUY,
        order_type=OrderType.MARKET,
        volume=D("0.10"),
        sl=D("2640"),
        tp=D("2654"),
    )
    await account.place(retrying)
    await world.say(GOLD_BUY, id=1)

    # Act: the unrecorded trade hits its TP, then the gold trade its TP1; the sweep polls
    await world.prices(XAUUSD=("2654.5", "2654.8"))
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert: the gold runner is at breakeven now, not after the other trade is recorded
    (runner,) = await account.positions()
    assert runner.sl == D("2650.30")


class _DownFor:
    """The paper broker, with one account whose broker cannot be reached."""

    def __init__(self, paper: PaperBroker, account_id: str) -> None:
        self.paper, self.down = paper, account_id

    async def connect(self, user_id: str, credentials: Credentials) -> Any:
        account = await self.paper.connect(user_id, credentials)
        return _Unreachable(account) if credentials.account_id == self.down else account

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        await self.paper.disconnect(user_id, keep=keep)


class _Unreachable:
    def __init__(self, account: Any) -> None:
        self._account = account

    def __getattr__(self, name: str) -> Any:
        async def down(*args: Any, **kwargs: Any) -> Any:
            raise BrokerUnavailable("the broker does not answer")

        return down if name in ("orders", "positions") else getattr(self._account, name)


LIMIT_BUY = "XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2660"


async def test_one_unreachable_account_never_stops_other_users_entries_from_expiring(
    tmp_path: Path,
) -> None:
    # Arrange: bob's and then alice's pending entries expire after 5 minutes; bob's broker
    # stops answering
    world = World(tmp_path, wrap=lambda paper: _DownFor(paper, "acc-bob"))
    bob = await world.add_user("bob", chats=("c2",), pending_expiry_minutes=5)
    await world.say(LIMIT_BUY, id=1, chat="c2")
    alice = await world.add_user("alice", pending_expiry_minutes=5)
    await world.say(LIMIT_BUY, id=1)
    assert await bob.orders() and await alice.orders()

    # Act: the sweeps after the expiry
    await world.settle(6 * 60)
    await world.settle(60)

    # Assert: alice's entry is cancelled although bob's could not be
    assert await alice.orders() == []


async def _a_buy_limit_that_fills_when_cancelled(tmp_path: Path) -> tuple[World, PaperAccount]:
    """Return alice's world with a buy limit waiting that the price reaches as it is cancelled."""
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY LIMIT 2645\nSL 2635\nTP 2660", id=1)

    async def fills() -> None:
        world.paper.set_quotes({"XAUUSD": (D("2644.50"), D("2644.80"))}, world.later(1))

    world.broker.before("cancel_order", fills, nth=1)
    return world, account
