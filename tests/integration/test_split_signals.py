"""A signal posted in two messages ("GOLD BUY NOW 2650", then "SL 2640 TP1 2660 TP2 2670") is
copied as one: the levels-only message completes the open trade, never opens another.
(A signal refused for want of a stop is opened by its levels: test_split_late_opening.py.)"""

from decimal import Decimal as D

from signal_copier.broker.paper import PaperAccount
from signal_copier.core.market import Credentials, MarginMode
from signal_copier.core.model import Status
from signal_copier.services import accounts, control
from world import World

SIDE_FIRST = "XAUUSD BUY NOW @ 2650"
LEVELS = "SL 2640 TP1 2660 TP2 2670"
# No stop in the signal: the user's default (40 pips = 4.0 → 2646.x) opens it, protected.
PROTECTED = {"lot": "0.10", "no_sl": "default_sl", "default_sl_pips": "40", "allow_looser_sl": True}


async def _levels(account: object) -> list[tuple[D | None, D | None, D]]:
    positions = await account.positions()  # type: ignore[attr-defined]
    return sorted((p.sl, p.tp, p.volume) for p in positions)


async def test_levels_replying_to_a_side_first_signal_protect_its_position(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2660.00"), D("0.10"))]
    result = (await world.last("alice")).result
    assert result.status is Status.APPLIED
    assert any("TP2 2670" in note and "never opens new volume" in note for note in result.notes)


async def test_levels_posted_next_complete_the_channels_latest_signal(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say(LEVELS, id=2)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2660.00"), D("0.10"))]
    assert len(await account.positions()) == 1


async def test_levels_arriving_before_their_signal_wait_for_it(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2)

    # Act
    await world.deliver(levels, signal)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2660.00"), D("0.10"))]


async def test_levels_delivered_twice_and_out_of_order_act_once(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    signal = world.post(SIDE_FIRST, id=1)
    levels = world.post(LEVELS, id=2, reply_to=1)

    # Act
    await world.deliver(levels, signal, levels, signal, levels)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2660.00"), D("0.10"))]
    applied = [r for r in await world.records("alice") if r.result.status is Status.APPLIED]
    assert len(applied) == 1


async def test_levels_posted_after_the_window_are_recorded_and_not_applied(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    before = await _levels(account)
    world.later(600)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await _levels(account) == before
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "levels_too_late")
    assert "split_window_s" in result.detail


async def test_a_wider_window_setting_lets_late_levels_complete_the_signal(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", split_window_s=900, **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    world.later(600)

    # Act
    await world.say(LEVELS, id=2)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2660.00"), D("0.10"))]


async def test_levels_only_switched_off_change_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", split_window_s=0, **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    before = await _levels(account)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await _levels(account) == before
    assert (await world.last("alice")).result.reason == "levels_only_off"


async def test_a_stop_above_a_buys_entry_is_refused_as_wrong_side(world: World) -> None:
    # Arrange: the price has run up, so the broker would accept 2655 as a stop
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.prices(XAUUSD=("2668.00", "2668.30"))
    before = await _levels(account)

    # Act
    await world.say("SL 2655 TP 2680", id=2, reply_to=1)

    # Assert
    assert await _levels(account) == before
    result = (await world.last("alice")).result
    assert (result.status, result.reason) == (Status.SKIPPED, "sl_wrong_side")


async def test_a_target_below_a_buys_entry_is_refused_as_wrong_side(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    before = await _levels(account)

    # Act
    await world.say("SL 2630 TP 2640", id=2)

    # Assert
    assert await _levels(account) == before
    assert (await world.last("alice")).result.reason == "tp_wrong_side"


async def test_levels_a_power_of_ten_off_are_refused_as_a_slip(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    before = await _levels(account)

    # Act
    await world.say("SL 264.0 TP 266.0", id=2, reply_to=1)

    # Assert
    assert await _levels(account) == before
    assert (await world.last("alice")).result.reason == "price_decimal_slip"


async def test_a_stop_inside_the_stops_level_is_moved_out_and_noted(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.prices(XAUUSD=("2650.00", "2650.30"))

    # Act: 2649.8 is within the 0.50 stops level of the bid 2650.00
    await world.say("SL 2649.8 TP 2660", id=2)

    # Assert
    assert await _levels(account) == [(D("2649.50"), D("2660.00"), D("0.10"))]
    assert any("stops level" in n for n in (await world.last("alice")).result.notes)


async def test_levels_spread_over_the_legs_a_signal_with_targets_opened(world: World) -> None:
    # Arrange: a signal with two targets and no stop opens two legs
    account = await world.add_user("alice", lot="0.20", no_sl="default_sl", default_sl_pips="40")
    await world.say("XAUUSD BUY NOW @ 2650\nTP1 2655\nTP2 2660", id=1)

    # Act: the stop (tighter than the default) and new targets come next
    await world.say("SL 2647 TP1 2656 TP2 2662", id=2)

    # Assert
    assert await _levels(account) == [
        (D("2647.00"), D("2656.00"), D("0.10")),
        (D("2647.00"), D("2662.00"), D("0.10")),
    ]


async def test_a_pending_order_gets_the_levels_and_keeps_its_entry(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say("XAUUSD BUY LIMIT 2645", id=1)

    # Act
    await world.say("Entry 2645 SL 2635 TP 2660", id=2, reply_to=1)

    # Assert
    orders = await account.orders()
    assert [(o.price, o.sl, o.tp) for o in orders] == [(D("2645.00"), D("2635.00"), D("2660.00"))]


async def test_a_results_post_after_the_signal_changes_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    before = await _levels(account)
    records = len(await world.records("alice"))

    # Act
    await world.say("TP1 2660 ✅", id=2, reply_to=1)

    # Assert
    assert await _levels(account) == before
    assert len(await world.records("alice")) == records


async def test_levels_after_the_kill_switch_change_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await control.kill_switch(world.deps, "alice", world.now)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await account.positions() == []
    assert await account.orders() == []
    assert (await world.last("alice")).result.status is Status.SKIPPED


async def test_levels_complete_only_a_signal_older_than_themselves(world: World) -> None:
    # Arrange: levels, then (later) a side-first signal: they are not its levels
    account = await world.add_user("alice", **PROTECTED)
    await world.say(LEVELS, id=1)

    # Act
    await world.say(SIDE_FIRST, id=2)
    await world.settle()

    # Assert
    [position] = await account.positions()
    assert position.tp is None
    assert position.sl != D("2640.00")


async def test_a_wider_channel_stop_keeps_the_users_tighter_default_and_sets_the_target(
    world: World,
) -> None:
    # Arrange: without allow_looser_sl a stop that protects less is never swapped in
    account = await world.add_user("alice", lot="0.10", no_sl="default_sl", default_sl_pips="40")
    await world.say(SIDE_FIRST, id=1)
    [(default_sl, _, _)] = await _levels(account)

    # Act
    await world.say(LEVELS, id=2, reply_to=1)

    # Assert
    assert await _levels(account) == [(default_sl, D("2660.00"), D("0.10"))]
    result = (await world.last("alice")).result
    assert result.status is Status.APPLIED
    assert any("stop_kept" in note for note in result.notes)


async def test_levels_after_a_two_signal_post_complete_the_symbol_they_fit(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", **PROTECTED)
    await world.say(f"{SIDE_FIRST}\n\nEURUSD SELL NOW @ 1.0850", id=1)
    eurusd_before = [p.sl for p in await account.positions() if p.symbol == "EURUSD"]

    # Act
    await world.say("SL 2640 TP 2660", id=2, reply_to=1)

    # Assert
    by_symbol = {p.symbol: (p.sl, p.tp) for p in await account.positions()}
    assert by_symbol["XAUUSD"] == (D("2640.00"), D("2660.00"))
    assert [by_symbol["EURUSD"][0]] == eurusd_before
    result = (await world.last("alice")).result
    assert any("price_decimal_slip" in note for note in result.notes)


async def test_levels_posted_next_go_to_the_latest_signal_not_an_earlier_one(
    world: World,
) -> None:
    # Arrange: the latest signal is EURUSD; gold levels do not fit it and gold is left alone
    account = await world.add_user("alice", **PROTECTED)
    await world.say(SIDE_FIRST, id=1)
    await world.say("EURUSD SELL NOW @ 1.0850", id=2)
    before = await _levels(account)

    # Act
    await world.say(LEVELS, id=3)

    # Assert
    assert await _levels(account) == before
    assert (await world.last("alice")).result.reason == "price_decimal_slip"


async def _netting_user(world: World, **settings: object) -> PaperAccount:
    await world.add_user("alice", connect=False, **settings)
    account = world.paper.open_account(
        "net-alice", balance=D(10000), margin_mode=MarginMode.NETTING
    )
    world.pipeline.add_owner("net-alice", "alice")
    creds = Credentials(account_id="net-alice", token="t0ken-alice")
    await accounts.save_credentials(world.deps, "alice", creds)
    return account


async def test_a_netting_accounts_one_position_takes_the_target_an_opening_would(
    world: World,
) -> None:
    # Arrange: a netting account copies one position, with TP number netting_tp
    account = await _netting_user(world, netting="single", netting_tp=2, **PROTECTED)
    await world.say(SIDE_FIRST, id=1)

    # Act
    await world.say("SL 2640 TP1 2660 TP2 2670 TP3 2680", id=2, reply_to=1)

    # Assert
    assert await _levels(account) == [(D("2640.00"), D("2670.00"), D("0.10"))]
    result = (await world.last("alice")).result
    assert any("takes TP2 2670" in note for note in result.notes)
