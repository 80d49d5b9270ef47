"""Round 4 of the hostile review: the cloud's polled broker events and the races around them.

Each test is a scenario that lost a trader money (or would have) before its fix.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from metaapi_world import MetaApiWorld
from signal_copier.core.market import Credentials
from signal_copier.core.settings import validate_settings
from signal_copier.services import broker_events, disconnect, onboarding
from signal_copier.services.polling import poll_publication
from signal_copier.services.webdeps import WebDeps
from signal_copier.telegram.offline import OfflineTelegramLogin
from world import World

EURO_BUY = "EURUSD BUY NOW\nSL 1.0800\nTP 1.0900"
IP = "203.0.113.9"


async def _managed(world: World, user_id: str) -> int:
    return len([r for r in await world.records(user_id) if r.intent.kind == "manage"])


async def test_a_tp1_hit_long_after_the_opening_still_moves_the_runner_to_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: on MT5 a TP fill carries the broker's comment, not our clientId. The trade opened
    # minutes ago and another trade since moved the account's deal cursor past its opening.
    world = MetaApiWorld(tmp_path, poll_deals=True)
    gold = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.settle(seconds=61)
    await world.say(EURO_BUY, id=2)
    await world.settle(seconds=61)  # the cursor moves to the EURUSD opening
    await world.settle(seconds=61)

    # Act: TP1 (2655) is hit on the broker; the next poll reads the deals since the cursor
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert
    runner = [p for p in await gold.positions() if p.symbol == "XAUUSD"]
    assert [p.sl for p in runner] == [D("2650.30")]  # breakeven
    assert await _managed(world, "alice") == 1


async def test_a_tp1_hit_after_a_close_half_still_moves_the_runner_to_breakeven(
    tmp_path: Path,
) -> None:
    # Arrange: "close half" tagged its partial closes with its own clientId; then TP1 is hit,
    # whose fill (on MT5) carries the broker's comment instead of a clientId
    world = MetaApiWorld(tmp_path, poll_deals=True)
    gold = await world.add_user("alice", lot="0.40", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close half", id=2, reply_to=1)

    # Act
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert
    assert [p.sl for p in await gold.positions()] == [D("2650.30")]  # breakeven
    assert await _managed(world, "alice") == 1


async def test_a_trade_placed_while_a_poll_finds_the_account_empty_stays_polled(
    tmp_path: Path,
) -> None:
    # Arrange: the account's last trade was closed; a new signal's intent started (its `now`)
    # before a poll of the account, and places its orders after the poll read the positions
    world = World(tmp_path, wrap_store=Hooked, poll_deals=True)
    gold = await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.say("Close all now", id=2, reply_to=1)
    [(_, since)] = await world.store.watched(10)
    poll_at = world.now + timedelta(seconds=5)
    poll = poll_publication("alice", since, poll_at)

    async def signal_lands() -> None:  # started before the poll, placed after its reads
        await world.say(GOLD_BUY, id=3)
        assert len(await gold.positions()) == 2

    world.store.before("unwatch", signal_lands)

    # Act
    await broker_events.handle_delivery(poll.payload, poll.attributes, world.deps, poll_at)
    await world.prices(XAUUSD=("2655.5", "2655.8"))  # TP1 of the new trade is hit
    await world.settle(seconds=61)

    # Assert: the new trade is still polled, so its TP1 hit moved the runner to breakeven
    assert [user for user, _ in await world.store.watched(10)] == ["alice"]
    assert [p.sl for p in await gold.positions()] == [D("2650.30")]


async def test_trades_left_open_on_a_disconnected_account_are_managed_again_once_it_is_back(
    tmp_path: Path,
) -> None:
    # Arrange: a trade is open; the trader removes the credentials (polls then stop) and
    # connects the same account again (a new token, say)
    world = World(tmp_path, poll_deals=True)
    await world.add_user("alice", connect=False, lot="0.20", breakeven_on_tp1=True)
    web = WebDeps(
        deps=world.deps, web=world.web, fleet=world.fleet, telegram=OfflineTelegramLogin()
    )
    credentials = Credentials(account_id="acc-alice", token="t0ken-alice")
    await onboarding.connect_broker(web, "alice", credentials, world.now, IP)
    await world.say(GOLD_BUY, id=1)
    await disconnect.disconnect_broker(web, "alice", world.now, IP)
    await world.settle(seconds=61)
    await world.settle(seconds=61)
    assert await world.store.watched(10) == []  # nothing can be polled without credentials
    again = replace(credentials, token="t0ken-alice-2")
    await onboarding.connect_broker(web, "alice", again, world.now, IP)

    # Act: TP1 of the trade left open is hit
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    await world.settle(seconds=61)

    # Assert
    positions = await world.paper.account("acc-alice").positions()
    assert [p.sl for p in positions] == [D("2650.30")]  # breakeven


async def test_a_first_visit_racing_a_settings_save_never_drops_the_saved_risk(
    tmp_path: Path,
) -> None:
    # Arrange: a new trader's first two dashboard requests arrive at once: one creates the
    # user, the other saves a risk of 0.5 % (between the first one's read and its write)
    world = World(tmp_path, wrap_store=Hooked)
    web = WebDeps(
        deps=world.deps, web=world.web, fleet=world.fleet, telegram=OfflineTelegramLogin()
    )
    careful = validate_settings({"risk_mode": "risk_percent", "risk_percent": "0.5"})

    saved: list[bool] = []

    async def settings_saved() -> None:  # once, just before the first request writes
        if not saved:
            saved.append(True)
            await onboarding.save_settings(web, "tg42", careful, world.now, IP)

    world.store.before("put_user", settings_saved).before("create_user", settings_saved)

    # Act
    await onboarding.ensure_user(web, "tg42")

    # Assert: the first request never overwrote the user the second one had set up
    assert saved
    user = await world.store.get_user("tg42")
    assert user is not None and user.settings.get("risk_percent") == "0.5"


async def test_polls_of_an_account_another_user_connected_since_touch_nothing_of_the_first(
    tmp_path: Path,
) -> None:
    # Arrange: alice's trade is open on acc-x; she disconnects, and bob connects acc-x
    world = World(tmp_path, poll_deals=True)
    for user, chat in (("alice", "c1"), ("bob", "c2")):
        await world.add_user(user, chats=(chat,), connect=False, lot="0.20", breakeven_on_tp1=True)
    world.pipeline.add_owner("acc-x", "alice")
    account = world.paper.open_account("acc-x", balance=D("10000"))
    web = WebDeps(
        deps=world.deps, web=world.web, fleet=world.fleet, telegram=OfflineTelegramLogin()
    )
    await onboarding.connect_broker(
        web, "alice", Credentials(account_id="acc-x", token="a"), world.now, IP
    )
    await world.say(GOLD_BUY, id=1)
    await disconnect.disconnect_broker(web, "alice", world.now, IP)
    await onboarding.connect_broker(
        web, "bob", Credentials(account_id="acc-x", token="b"), world.now, IP
    )

    # Act: TP1 of alice's trade is hit; every poll runs for a quarter of an hour
    await world.prices(XAUUSD=("2655.5", "2655.8"))
    for _ in range(15):
        await world.settle(seconds=61)

    # Assert: bob's copier left alice's runner as it was, and recorded nothing of hers
    assert [p.sl for p in await account.positions()] == [D("2640.00")]
    assert await world.records("bob") == []
    assert world.queue.dead_lettered == 0


async def test_an_edit_landing_while_the_sweep_expires_its_entries_keeps_its_new_levels(
    tmp_path: Path,
) -> None:
    # Arrange: a pending entry expires after 30 minutes; the channel edits the signal's TPs
    # just as the sweep is cancelling it (after the sweep read the trade's record)
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20", pending_expiry_minutes=30)
    await world.say("XAUUSD BUY LIMIT 2645\nSL 2640\nTP1 2655\nTP2 2660", id=1)

    async def edited() -> None:
        await world.say("XAUUSD BUY LIMIT 2645\nSL 2640\nTP1 2656\nTP2 2666", id=1, edited=True)

    world.broker.before("cancel_order", edited)

    # Act
    await world.settle(seconds=31 * 60)

    # Assert: what follow-ups and management read is the edited signal
    (opening,) = [r for r in await world.records("alice") if r.intent.kind == "open"]
    assert opening.signal is not None and opening.signal.tps == (D("2656"), D("2666"))
    assert world.broker.calls("cancel_order") >= 1
