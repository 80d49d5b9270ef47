"""Review 14: hostile scenarios against the money paths (sizing, symbols, guards, limits).

Each test is a bug confirmed by running it, kept as a strict xfail until it is fixed; the
comment above each says what a trader loses and where the fix belongs.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.errors import BrokerUnavailable, InvalidSettings
from signal_copier.core.market import Credentials, MarginMode
from signal_copier.services import accounts, control
from signal_copier.services.pipeline import handle_message
from world import World


# The kill switch is pressed while an opening is on its way: its sweep finds nothing yet, then
# leg 1 fills and leg 2 times out. The redelivered intent finds leg 1, sees the kill switch and
# *adopts* it ("kept the 1 leg(s) already placed"): a position opened after the kill switch
# stays open, unprotected by the switch the trader pressed to get flat. Without the timeout
# the same race is closed again (_undone_if_killed). Fix: services/opening.py — a retry that
# finds legs after a kill switch pressed since the signal arrived undoes them, not adopts them.
async def test_a_leg_placed_after_the_kill_switch_is_closed_when_the_next_leg_times_out(
    tmp_path: Path,
) -> None:
    # Arrange: the switch is pressed just before leg 1 goes out; leg 2 times out
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def press_kill_switch() -> None:
        await control.kill_switch(world.deps, "alice", world.now)

    world.broker.before("place", press_kill_switch, nth=1)
    world.broker.fail("place", nth=2, error=BrokerUnavailable("timed out (injected)"))

    # Act: the intent is redelivered and retried
    await world.say(GOLD_BUY, id=1)
    await world.settle()

    # Assert: nothing the killed signal opened is left open
    assert await account.positions() == []


# The kill switch is pressed while a limit order is on its way; the opening sees it and cancels
# the order, but the price reached the limit in between: the cancel is refused (the order is a
# position now), undo_fills takes any refusal for "gone already", and the record says "closed
# again at once: the kill switch was pressed" while a 0.20 lot position it opened after the
# switch stays open, unmanaged by the trader who believes the account is flat. Fix:
# services/placing.undo_fills (a refused cancel looks for the position the order became, by
# its clientId, and closes it) and services/opening._undone_if_killed (note only what was undone).
async def test_a_limit_that_fills_while_the_kill_switch_undoes_it_is_closed(
    tmp_path: Path,
) -> None:
    # Arrange: the switch is pressed as the limit order goes out; the price reaches the limit
    # just before the opening cancels it
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20")

    async def press_kill_switch() -> None:
        await control.kill_switch(world.deps, "alice", world.now)

    async def price_reaches_the_limit() -> None:
        world.paper.set_quotes({"XAUUSD": (D("2639.50"), D("2639.80"))}, world.later(0))

    world.broker.before("place", press_kill_switch, nth=1)
    world.broker.before("cancel_order", price_reaches_the_limit, nth=1)

    # Act
    await world.say("XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660", id=1)
    await world.settle()

    # Assert: nothing the killed signal opened is left
    assert (await account.positions(), await account.orders()) == ([], [])


# The settings page asks for "Symbol overrides" and any key is accepted, but keys are only ever
# compared with the parser's canonical names: a trader who maps what the channel writes
# ("OIL=UKOIL", "GOLD=XAUUSD.r", "DAX=GER40.cash") is told nothing, and the mapping silently
# never applies — "OIL BUY" is bought on WTI (USOIL) at WTI's price with the Brent signal's
# levels. Fix: core/settings.py (_clean_mapping) — read a key through the parser's symbol
# table ("OIL" → USOIL) or refuse a key the parser never produces, naming it.
async def test_a_symbol_override_keyed_as_the_channel_writes_it_is_not_silently_ignored(
    tmp_path: Path,
) -> None:
    # Arrange: the trader wants the channel's oil calls on Brent
    world = World(tmp_path)
    try:
        account = await world.add_user("alice", lot="0.10", symbol_map={"OIL": "UKOIL"})
    except InvalidSettings:
        return  # refused up front, naming the key: the trader learns it does not apply

    # Act
    await world.say("OIL BUY NOW\nSL 68.00\nTP 76.00", id=1)

    # Assert: the trade is on the instrument the trader mapped, never on another
    assert {p.symbol for p in await account.positions()} <= {"UKOIL"}


# A netting account (netting=single) refuses a signal on a symbol it already holds, but the
# check reads the account and then places: two signals on one symbol handled at once (two
# workers, seconds apart, as channels post "BUY GOLD" twice) both read "nothing held" and both
# place. MT5 nets them into one 0.40 lot position whose SL and TP are the last order's (signal
# 2's trade now stops at signal 1's wider 2640), and both records claim that one position: a
# close of either signal closes both. Twice the volume, a stop the trader never chose. Fix:
# services/opening.py (with placing.held_on_symbol) — reserve the user's broker symbol in the
# store before placing on a netting account, as reserve_opening does for max_open_trades.
async def test_two_signals_racing_onto_a_netting_account_open_one_position_not_a_merged_double(
    tmp_path: Path,
) -> None:
    # Arrange: a netting account copying one position per signal; the second signal is handled
    # while the first one's order is on its way
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", connect=False, lot="0.20", netting="single")
    account = world.paper.open_account(
        "net-alice", balance=D(10000), margin_mode=MarginMode.NETTING
    )
    world.pipeline.add_owner("net-alice", "alice")
    creds = Credentials(account_id="net-alice", token="t0ken-alice")
    await accounts.save_credentials(world.deps, "alice", creds)
    first = world.post(GOLD_BUY, id=1)
    second = world.post("XAUUSD BUY NOW @ 2650\nSL 2645\nTP 2670", id=2)

    async def second_signal_meanwhile() -> None:
        await handle_message(second, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", second_signal_meanwhile, nth=1)

    # Act
    await world.deliver(first)
    await world.settle()

    # Assert: one signal's 0.20 lots, as in either order handled one after the other
    assert [p.volume for p in await account.positions()] == [D("0.20")]


# The same for the allowed-symbols list: "GOLD" (what traders and channels call it) is accepted,
# and from then on every gold signal is skipped "XAUUSD is not in your list" — the trader who
# asked for gold only misses every gold trade, told nothing when saving. Fix: core/settings.py
# (_upper_symbols) — read names through the parser's symbol table ("GOLD" → XAUUSD) or refuse
# a name the parser never produces, naming it.
async def test_allowing_gold_by_its_common_name_copies_gold_signals(tmp_path: Path) -> None:
    # Arrange
    world = World(tmp_path)
    try:
        account = await world.add_user("alice", lot="0.10", allowed_symbols=("GOLD",))
    except InvalidSettings:
        return  # refused up front, naming the name: the trader learns to write XAUUSD

    # Act
    await world.say("GOLD BUY NOW\nSL 2640\nTP 2670", id=1)

    # Assert
    assert [p.symbol for p in await account.positions()] == ["XAUUSD"]


# A risk-sized signal with four TPs whose legs would each fall under the broker's minimum is
# placed as one position at TP1 (trailing legs are dropped, by design), but the record says only
# "0.01 lots in 1 position(s)": the trader who expects runners to TP2-TP4 is never told they
# were left out, or why, and sees the whole trade close at TP1. Fix: core/planning.py (a note
# naming the TPs dropped because each leg would be under the minimum volume).
async def test_tps_dropped_because_each_leg_would_be_under_the_minimum_are_named(
    tmp_path: Path,
) -> None:
    # Arrange: 0.05% of 10,000 USD over a 50 pip USDJPY stop is 0.01 lots for four TPs
    world = World(tmp_path)
    await world.add_user("alice", risk_mode="risk_percent", risk_percent="0.05")

    # Act
    await world.say(
        "USDJPY SELL NOW @ 150.00\nSL 150.50\nTP1 149.50\nTP2 149.00\nTP3 148.50\nTP4 148.00",
        id=1,
    )

    # Assert: one position, and the record says the other TPs were left out
    record = await world.last("alice")
    assert len(record.result.fills) == 1
    assert any("TP2" in note for note in record.result.notes), record.result.notes


# A trading window whose start and end are the same ("00:00-00:00", as a trader writes "all
# day") is accepted, and then no time of day is ever inside it: every signal is skipped
# "outside 00:00-00:00 UTC" for as long as the setting stays. The trader misses every trade.
# Fix: core/settings.py (_hours_format refuses an empty window, naming the field) or
# core/guards.in_hours (a window that starts where it ends is the whole day).
async def test_a_trading_window_that_starts_where_it_ends_is_not_an_empty_day(
    tmp_path: Path,
) -> None:
    # Arrange
    world = World(tmp_path)
    try:
        account = await world.add_user("alice", lot="0.10", trading_hours="00:00-00:00")
    except InvalidSettings:
        return  # refused up front, naming the field

    # Act
    await world.say("XAUUSD BUY NOW\nSL 2640\nTP 2670", id=1)

    # Assert
    assert [p.symbol for p in await account.positions()] == ["XAUUSD"]
