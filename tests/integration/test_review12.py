"""Review 12: hostile scenarios against the money paths of the last two sessions.

Each test is a bug confirmed by running it (a strict xfail until its fix landed on main while
the review ran), now a regression scenario; the comment above each says what a trader lost.
"""

from decimal import Decimal as D
from pathlib import Path

import pytest

from hooks import Hooked
from signal_copier.services.pipeline import handle_message
from world import World

SIDE_FIRST = "XAUUSD BUY NOW @ 2650"
SIGNAL = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660"
TYPOD = SIGNAL.replace("SL 2640", "SL 2460")  # 190 of risk for a 10 target: 2640 was meant


async def _stops(account: object) -> set[D | None]:
    return {p.sl for p in await account.positions()}  # type: ignore[attr-defined]


# Before its fix: an edit into a typo'd stop moves an open fixed-lot trade's stop to 2460: 19
# times the risk the channel meant, where the same stop posted is refused (price_typo).
async def test_an_edit_into_a_typod_stop_leaves_the_trades_stop_where_it_was(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=1)

    # Act: the channel edits the post and slips two digits of its stop
    await world.say(TYPOD, id=1, edited=True)

    # Assert: as an edit to an off-scale stop, the typo is not applied
    assert await _stops(account) == {D("2640.00")}


# Before its fix: for a trader who allows looser stops, 'Move SL to 2460' (a typo of 2640) is
# applied: a fixed lot then risks 19 times what the channel meant.
async def test_move_sl_to_a_typod_stop_is_not_applied_for_a_trader_who_allows_looser_stops(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", allow_looser_sl=True)
    await world.say(SIGNAL, id=1)

    # Act
    await world.say("Move SL to 2460", id=2, reply_to=1)

    # Assert
    assert await _stops(account) == {D("2640.00")}


# Before its fix: levels with a typo'd stop ('SL 2460 TP 2660') move a default-stopped trade's
# stop to 2460 for a trader who allows looser stops; the same levels open nothing for others.
async def test_levels_with_a_typod_stop_leave_a_default_stop_where_it_was(world: World) -> None:
    # Arrange: bob copied the stopless signal with his default stop
    bob = await world.add_user(
        "bob", lot="0.10", no_sl="default_sl", default_sl_pips="40", allow_looser_sl=True
    )
    await world.say(SIDE_FIRST, id=1)
    before = await _stops(bob)

    # Act
    await world.say("SL 2460 TP 2660", id=2, reply_to=1)

    # Assert
    assert await _stops(bob) == before


# Before its fix: 'Close half' edited into 'Close half and move SL to entry' is refused whole as a
# second partial close: the half left keeps its old stop instead of breakeven.
async def test_close_half_edited_to_add_breakeven_moves_the_stop_of_the_half_left(
    world: World,
) -> None:
    # Arrange: the trade is in profit and the reply closed half of it
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=1)
    await world.prices(XAUUSD=("2656.00", "2656.30"))
    await world.say("Close half", id=2, reply_to=1)

    # Act
    await world.say("Close half and move SL to entry", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: no second half closed, and the stop of what is left is at entry
    assert [(p.volume, p.sl) for p in await account.positions()] == [(D("0.05"), D("2650.30"))]


# Before its fix: a signal edited from BUY into SELL leaves its re-entry's waiting BUY LIMIT on
# the account: it fills as a buy the channel withdrew.
async def test_a_reentrys_waiting_order_goes_when_the_signal_is_turned_into_a_sell(
    world: World,
) -> None:
    # Arrange: the signal filled and its re-entry waits as a buy limit at 2645
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=1)
    await world.say("Add more at 2645", id=2, reply_to=1)
    assert len(await account.orders()) == 1

    # Act: the channel turns the signal into a sell
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2640", id=1, edited=True)
    await world.settle()

    # Assert: the re-entry's order went with the signal, as on its deletion
    assert await account.orders() == []


# Before its fix: a trader whose withdrawn signals are closed (on_signal_deleted: close) keeps the
# re-entry's BUY open after the channel turned the signal into a sell.
async def test_a_reentrys_position_is_closed_when_the_signal_is_turned_for_a_closing_trader(
    world: World,
) -> None:
    # Arrange: the signal and its re-entry both filled
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(SIGNAL, id=1)
    await world.say("Buy again from here same SL and TP", id=2, reply_to=1)
    assert len(await account.positions()) == 2

    # Act
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2640", id=1, edited=True)
    await world.settle()

    # Assert: both went, as on the signal's deletion
    assert await account.positions() == []


# Before its fix: the channel's correction of 'Move SL to 2645' (posted before its re-entry) to
# 2648 also moves the re-entry's stop from 2640 to 2648: the re-entry is stopped out early, though
# the original follow-up never reaches it in any delivery order.
async def test_an_edit_of_a_move_sl_posted_before_a_reentry_leaves_the_reentrys_stop(
    world: World,
) -> None:
    # Arrange: the signal's stop moved and hit; the channel buys again with the signal's stop
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=1)
    await world.say("Move SL to 2645", id=2, reply_to=1)
    await world.prices(XAUUSD=("2644.00", "2644.30"))
    await world.prices(XAUUSD=("2652.00", "2652.30"))
    await world.say("Buy again from here same SL and TP", id=3, reply_to=1)
    assert [p.sl for p in await account.positions()] == [D("2640.00")]

    # Act: the channel corrects its older follow-up
    await world.say("Move SL to 2648", id=2, reply_to=1, edited=True)
    await world.settle()

    # Assert: the follow-up was about the trades before it, not the re-entry after it
    assert [p.sl for p in await account.positions()] == [D("2640.00")]


# Before its fix: a BUY LIMIT turned into a SELL and back: in order the flip cancels it and it is
# never placed again; with the flip back delivered first the flip is dropped and the BUY LIMIT
# stays. Whether the trader holds the order depends on delivery order.
async def test_a_buy_limit_turned_into_a_sell_and_back_ends_alike_in_any_delivery_order(
    world: World, tmp_path: Path
) -> None:
    # Arrange: the same three versions of one post, for two deployments
    buy = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"
    sell = "XAUUSD SELL LIMIT 2660\nSL 2670\nTP 2640"
    (tmp_path / "other").mkdir()
    other = World(tmp_path / "other")
    held: list[list[tuple[object, D | None, D]]] = []

    # Act: one gets them in order, the other gets the flip back before the flip
    for deployment, order in ((world, (0, 1, 2)), (other, (0, 2, 1))):
        account = await deployment.add_user("alice", lot="0.10")
        versions = [
            deployment.post(buy, id=1),
            deployment.post(sell, id=1, edited=True),
            deployment.post(buy, id=1, edited=True),
        ]
        await deployment.deliver(*(versions[i] for i in order))
        await deployment.settle()
        held.append([(o.side, o.price, o.volume) for o in await account.orders()])

    # Assert
    assert held[0] == held[1]


# Before its fix: a re-entry posted before the levels ('Buy again', refused for no stop like its
# signal) makes the levels open nothing ('holds several signals'): the trader misses the signal
# the levels complete.
async def test_levels_after_a_stopless_reentry_still_open_the_signal(world: World) -> None:
    # Arrange: the signal and the channel's re-entry of it, both without a stop yet
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    await world.say("Buy again from here", id=2, reply_to=1)

    # Act
    await world.say("SL 2640 TP 2660", id=3, reply_to=1)
    await world.settle()

    # Assert: the signal the levels complete is open with them
    assert (D("2640.00"), D("2660.00")) in {(p.sl, p.tp) for p in await account.positions()}


# Before its fix: a flip of a split signal handled by another worker while its late opening places
# finds no trade to take back, and the late opening never looks for it: the BUY LIMIT the channel
# turned into a sell stays on the account.
async def test_a_flip_handled_while_the_late_opening_places_leaves_no_order(
    tmp_path: Path,
) -> None:
    # Arrange: the flip is handled just as the late opening sends its order
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    signal = world.post("XAUUSD BUY LIMIT 2640", id=1)
    levels = world.post("SL 2630 TP 2660", id=2, reply_to=1)
    flip = world.post("XAUUSD SELL LIMIT 2660\nSL 2670\nTP 2640", id=1, edited=True)
    await world.deliver(signal)

    async def meanwhile() -> None:
        await handle_message(flip, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", meanwhile, nth=world.broker.calls("place") + 1)

    # Act
    await world.deliver(levels)
    await world.settle()

    # Assert: as when the flip is handled before or after the late opening
    assert await account.orders() == []


# Before its fix: levels refused for a fixable slip (a stop read as a typo, a stop a power of ten
# off; TPs out of order likewise) decide the signal's one late opening, so the channel's fix (an
# edit of the levels or of the signal) opens nothing, though the record says 'an edit that fixes
# it is' copied: the trader misses the trade.
@pytest.mark.parametrize("fixed_in", ["levels", "signal"])
@pytest.mark.parametrize("slipped", ["SL 2460 TP 2660", "SL 264.0 TP 2660"])
async def test_the_channels_fix_of_slipped_levels_opens_the_signal(
    world: World, slipped: str, fixed_in: str
) -> None:
    # Arrange: the levels' stop is two digits swapped, or a decimal point off
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIDE_FIRST, id=1)
    await world.say(slipped, id=2, reply_to=1)
    assert await account.positions() == []

    # Act: the channel fixes the stop
    if fixed_in == "levels":
        await world.say("SL 2640 TP 2660", id=2, reply_to=1, edited=True)
    else:
        await world.say(SIGNAL, id=1, edited=True)
    await world.settle()

    # Assert
    assert [(p.sl, p.tp) for p in await account.positions()] == [(D("2640.00"), D("2660.00"))]


# Before its fix: after the channel turned a filled BUY into a SELL (never opened: a flip never
# opens), 'Add more here' opens that SELL beside the kept BUY: the trader holds both sides.
async def test_add_more_after_a_flip_opens_no_trade_on_the_turned_side(world: World) -> None:
    # Arrange: the buy filled, then the channel turned the post into a sell (the buy is kept)
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=1)
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2640", id=1, edited=True)

    # Act
    await world.say("Add more here", id=2, reply_to=1)
    await world.settle()

    # Assert: no sell opened against the kept buy
    assert [p.side for p in await account.positions()] == ["buy"]
