"""A signal the channel edits onto another side or symbol: its old trades are taken back.

Unfilled orders of the old signal go whatever the setting (the channel withdrew it), filled
positions follow `on_signal_deleted`, and the edited signal is never opened: a trade on the
side the channel no longer says is the worst mistake. A post refused for its content, of which
nothing ever traded, is opened as the edit fixes it (the side word was the typo). Each scenario
holds in any delivery order.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from signal_copier.core.model import Side
from signal_copier.core.reasons import Reason
from signal_copier.core.records import TradeRecord
from world import World

BUY_LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"
SELL_LIMIT = "XAUUSD SELL LIMIT 2660\nSL 2670\nTP 2640"
GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP 2660"
GOLD_SELL = "XAUUSD SELL NOW @ 2650\nSL 2660\nTP 2640"
EURO = "EURUSD BUY LIMIT 1.0800\nSL 1.0770\nTP {tp}"
ORDERS = {"in order": (0, 1), "edit first": (1, 0), "duplicated": (1, 0, 1, 0)}


async def _edit(world: World) -> TradeRecord:
    (edit,) = [r for r in await world.records("alice") if r.intent.version]
    return edit


@pytest.mark.parametrize("order", list(ORDERS))
async def test_a_buy_limit_turned_into_a_sell_limit_leaves_no_order_in_any_delivery_order(
    world: World, order: str
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    messages = [world.post(BUY_LIMIT, id=1), world.post(SELL_LIMIT, id=1, edited=True)]

    # Act: then price passes both entries
    await world.deliver(*(messages[i] for i in ORDERS[order]))
    await world.settle()
    await world.prices(XAUUSD=("2639.00", "2639.30"))
    await world.prices(XAUUSD=("2661.00", "2661.30"))

    # Assert: neither the withdrawn buy nor the edited sell was traded
    assert (await account.positions(), await account.orders()) == ([], [])
    edit = await _edit(world)
    assert edit.result.reason is Reason.SIGNAL_CHANGED
    assert "cancelled 1 pending order(s)" in edit.result.detail
    assert "the edit was not traded" in edit.result.detail


async def test_a_pending_order_turned_to_another_symbol_is_cancelled(world: World) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(BUY_LIMIT, id=1)

    # Act
    await world.say(EURO.format(tp="1.0900"), id=1, edited=True)
    await world.settle()

    # Assert
    assert (await account.positions(), await account.orders()) == ([], [])
    assert "turned BUY XAUUSD into BUY EURUSD" in (await _edit(world)).result.detail


async def test_a_filled_buy_turned_into_a_sell_is_kept_by_default_and_the_record_says_so(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.settle()

    # Assert
    assert [(p.side, p.sl, p.tp) for p in await account.positions()] == [
        (Side.BUY, D("2640.00"), D("2660.00"))
    ]
    detail = (await _edit(world)).result.detail
    assert "kept 1 filled position(s)" in detail and "check the kept position(s)" in detail


async def test_a_filled_buy_turned_into_a_sell_is_closed_when_deletions_close(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10", on_signal_deleted="close")
    await world.say(GOLD_BUY, id=1)

    # Act
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.settle()

    # Assert: closed, and no sell opened in its place
    assert await account.positions() == []
    assert "closed 1 position(s)" in (await _edit(world)).result.detail


async def test_a_refused_buy_turned_into_a_sell_opens_the_sell_it_was_a_typo_of(
    world: World,
) -> None:
    # Arrange: the buy's stop is above its entry: refused, nothing placed
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2660\nTP 2670", id=1)

    # Act: the channel fixes the side word
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.settle()

    # Assert: nothing of the buy ever traded; the sell is the channel's only word
    assert [(p.side, p.volume) for p in await account.positions()] == [(Side.SELL, D("0.10"))]
    assert (await _edit(world)).result.fills


async def test_a_flip_in_a_post_of_two_signals_takes_back_only_the_flipped_one(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    await world.say(f"{BUY_LIMIT}\n\n{EURO.format(tp='1.0900')}", id=1)

    # Act: gold turned into a sell, the euro's target moved
    await world.say(f"{SELL_LIMIT}\n\n{EURO.format(tp='1.0950')}", id=1, edited=True)
    await world.settle()

    # Assert
    assert [(o.symbol, o.tp) for o in await account.orders()] == [("EURUSD", D("1.09500"))]
    assert await account.positions() == []


async def test_a_flip_turned_back_moves_the_kept_trade_to_the_levels_of_its_own_side(
    world: World,
) -> None:
    # Arrange: a buy kept after its post was turned into a sell
    account = await world.add_user("alice", lot="0.10")
    await world.say(GOLD_BUY, id=1)
    await world.say(GOLD_SELL, id=1, edited=True)

    # Act: the channel turns it back into the buy, with a tighter stop
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2644\nTP 2660", id=1, edited=True)
    await world.settle()

    # Assert: the buy follows the buy's levels, judged from the buy it was opened as
    assert [(p.side, p.sl, p.tp) for p in await account.positions()] == [
        (Side.BUY, D("2644.00"), D("2660.00"))
    ]


async def test_a_refused_buy_turned_into_a_refused_sell_and_then_fixed_opens_the_sell_once(
    world: World,
) -> None:
    # Arrange: the buy was refused for its stop; the channel turned it into a sell whose stop is
    # wrong too
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650\nSL 2660\nTP 2670", id=1)
    await world.say("XAUUSD SELL NOW @ 2650\nSL 2640\nTP 2630", id=1, edited=True)

    # Act: then fixed the sell's levels
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.settle()

    # Assert: one sell, with the fixed levels
    assert [(p.side, p.sl) for p in await account.positions()] == [(Side.SELL, D("2660.00"))]


async def test_a_stopless_buy_turned_into_a_sell_is_not_opened(world: World) -> None:
    # Arrange: refused for no stop: levels could still complete (and open) the buy, so whether
    # the buy traded would depend on which of them is handled first
    account = await world.add_user("alice", lot="0.10")
    await world.say("XAUUSD BUY NOW @ 2650", id=1)

    # Act
    await world.say(GOLD_SELL, id=1, edited=True)
    await world.settle()

    # Assert
    assert await account.positions() == []
    assert (await _edit(world)).result.reason is Reason.SIGNAL_CHANGED
