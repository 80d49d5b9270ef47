"""Review 13: hostile scenarios against today's money-path changes.

Each test is a bug confirmed by running it; the comment above each says what a trader lost and
where the fix went. All are fixed (regressions now).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress
from decimal import Decimal as D
from pathlib import Path

import pytest

from hooks import Hooked
from signal_copier.core.errors import BrokerUnavailable
from signal_copier.core.model import ChangeKind, IntentKind, Status
from signal_copier.core.reasons import Reason
from signal_copier.services.pipeline import handle_message
from world import World

GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
SWING = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2750"  # a near TP1, a far TP2
SIGNAL = "XAUUSD BUY NOW 2650\nSL 2644\nTP 2660"
LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"
AGAIN = "Buy again from here 🔁 same SL and TP"


async def _stops(account: object) -> set[D | None]:
    return {p.sl for p in await account.positions()}  # type: ignore[attr-defined]


# Before its fix:
# A retry takes every level it finds already set for the attempt cut short's work, even when
# that attempt never reached the broker: 'Move SL to 2640' on legs whose stop was 2640 all
# along is recorded as two stop moves, applied, instead of 'nothing to change'. The trader's
# history claims moves that never happened. Fix: services/commands.py (and edits.py,
# management.py) — record levels found set only when the attempt before could have set them
# (e.g. its levels differed when that attempt began, or it reached the broker's modify).
async def test_a_retried_move_sl_to_the_stop_already_set_records_nothing_to_change(
    tmp_path: Path,
) -> None:
    # Arrange: both legs' stop is already 2640; the first attempt fails reading the legs
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    down = BrokerUnavailable("legs unavailable (injected)")
    world.broker.fail("legs_of", nth=world.broker.calls("legs_of") + 1, error=down)

    # Act: the follow-up fails once before reaching the broker and is redelivered
    await world.say("Move SL to 2640", id=2, reply_to=1)
    await world.settle()

    # Assert
    (record,) = [r for r in await world.records("alice") if r.intent.message_id == 2]
    assert (record.result.status, record.result.reason) == (
        Status.SKIPPED,
        Reason.NOTHING_TO_CHANGE,
    )
    assert record.result.changes == ()


# Before its fix:
# The same for management: the channel's 'Move SL to entry' put the runner at breakeven before
# TP1 hit; the breakeven-on-TP1 event fails once reading the legs, and its retry records a
# breakeven move "the attempt cut short had most likely set" — a record of a move the copier
# never made (without the failure nothing is recorded). Fix: services/management.py, as above.
async def test_a_retried_breakeven_on_a_stop_the_channel_moved_records_no_move(
    tmp_path: Path,
) -> None:
    # Arrange: the channel moved both stops to entry; the TP1 event's first attempt fails
    world = World(tmp_path, wrap=Hooked)
    await world.add_user("alice", lot="0.20", breakeven_on_tp1=True)
    await world.say(GOLD_BUY, id=1)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    await world.say("Move SL to entry", id=2, reply_to=1)
    down = BrokerUnavailable("legs unavailable (injected)")
    world.broker.fail("legs_of", nth=world.broker.calls("legs_of") + 1, error=down)

    # Act: TP1 hits; the event is redelivered
    await world.prices(XAUUSD=("2655.50", "2655.80"))
    await world.settle()

    # Assert: no management record claims a stop move
    managed = [r for r in await world.records("alice") if r.intent.kind is IntentKind.MANAGE]
    assert [c for r in managed for c in r.result.changes] == []


# Before its fix:
# A trader holding one position per signal (the default 0.01 lot, too small to split across
# two targets, or max_positions_per_signal=1) holds TP1 only, and an edit's stop is judged as a
# typo against that TP1, not the signal's furthest target as an opening's is: the channel
# widening its swing trade's stop to 2540 (TP2 2750; the same signal posted fresh opens with
# that stop for this very trader) is refused as price_typo. The trader keeps a stop 100 tighter
# than the channel's and is stopped out of a trade the channel holds. Fix: core/levels._targets
# (judge against the targets of the signal the leg belongs to, not the legs' broker TPs).
@pytest.mark.parametrize(
    "settings",
    [{}, {"lot": "0.10", "max_positions_per_signal": 1}],
    ids=["default-lot", "one-position"],
)
async def test_an_edit_widening_a_swing_stop_moves_a_single_position_traders_stop(
    world: World, settings: dict[str, object]
) -> None:
    # Arrange
    alice = await world.add_user("alice", **settings)
    bob = await world.add_user("bob", lot="0.10")
    await world.say(SWING, id=1)

    # Act: the channel widens the stop; bob's two legs take it
    await world.say(SWING.replace("SL 2640", "SL 2540"), id=1, edited=True)

    # Assert
    assert await _stops(bob) == {D("2540.00")}
    assert await _stops(alice) == {D("2540.00")}


# Before its fix:
# A re-entry placed while its signal's deletion runs closes its filled position at once, even
# for a trader whose deletions cancel pending orders only (the default, cancel_pending): in
# the order posted (re-entry, then deletion) the position stays open. The trader pays the
# spread and loses the trade. Fix: services/reentry._undone_if_gone (take back what the
# user's on_signal_deleted says, as the deletion itself does).
async def test_a_deletion_racing_a_market_reentry_keeps_its_position_under_cancel_pending(
    tmp_path: Path,
) -> None:
    # Arrange: the re-entry is posted, then the channel deletes its signal; the deletion is
    # handled just as the re-entry's market order is sent
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.prices(XAUUSD=("2653.00", "2653.30"))
    again = world.post(AGAIN, id=21, reply_to=20)
    gone = world.deletion(id=20)

    async def meanwhile() -> None:
        await handle_message(gone, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", meanwhile, nth=world.broker.calls("place") + 1)

    # Act
    await world.deliver(again)
    await world.settle()

    # Assert: as in the order posted, both filled positions stay
    assert sorted(p.open_price for p in await account.positions()) == [
        D("2650.30"),
        D("2653.30"),
    ]


# Before its fix:
# A typo'd stop ('Move SL to 2460', 2640 meant) held back by the signal's later edit still
# makes its risk cut: a risk-sized trade is closed whole ("would risk more than it was sized
# for"), while in the order posted the typo is refused (price_typo) and the edit leaves both
# legs open at 2645. The trader loses the whole trade. Fix: services/overtaken._stops_held /
# follow_up_risk.held_cuts (a held stop cuts only if core/levels would have set it).
async def test_a_typod_stop_held_back_by_a_later_edit_cuts_nothing(world: World) -> None:
    # Arrange
    account = await world.add_user(
        "alice", risk_mode="risk_percent", risk_percent="1", allow_looser_sl=True
    )
    await world.say(GOLD_BUY, id=1)
    typo = world.post("Move SL to 2460", id=2, reply_to=1)
    edit = world.post(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)

    # Act: the edit, posted last, is delivered first
    await world.deliver(edit, typo)
    await world.settle()

    # Assert: as in the order posted
    assert [(p.volume, p.sl) for p in await account.positions()] == [
        (D("0.05"), D("2645.00")),
        (D("0.04"), D("2645.00")),
    ]


# Before its fix:
# A market re-entry posted before the channel flips its signal, but delivered after the flip,
# is refused (the signal "was turned"); in the order posted it opened, and the flip, under the
# default cancel_pending, kept its filled position ("check the kept position(s)"). Whether the
# trader holds the re-entry depends on delivery order (the same holds for a deletion posted
# after the re-entry: head.deleted refuses it). Fix: services/reentry._referred (judge the
# signal's flip or deletion as of the re-entry's post, then let the take-back's rule apply).
async def test_a_reentry_posted_before_its_signals_flip_ends_the_same_whichever_comes_first(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    signal = world.post(SIGNAL, id=20)
    again = world.post(AGAIN, id=21, reply_to=20)
    flipped = "XAUUSD SELL NOW 2650\nSL 2656\nTP 2640"
    flip = world.post(flipped, id=20, edited=True)

    # Act: the flip, posted after the re-entry, is delivered before it
    await world.deliver(signal, flip, again)
    await world.settle()

    # Assert: as in the order posted, the signal's and the re-entry's positions are kept
    assert len(await account.positions()) == 2


# Before its fix:
# A retried deletion takes every pending order of the signal gone unfilled for one its cut-short
# attempt cancelled: a limit order that expired (pending_expiry_minutes; management recorded that
# cancel) is recorded cancelled a second time, by the deletion, when the deletion's first attempt
# failed before reaching the broker; without the failure it says "nothing of it was left to
# cancel". The trader's history shows a cancel the copier never made (an order cancelled by hand
# in MT5 reads the same). Fix: services/retried.cancelled_before (count only orders gone after
# the first attempt began, not those the account's history or records show ended before it).
async def test_a_retried_deletion_records_no_cancel_of_an_order_that_expired_before_it(
    tmp_path: Path,
) -> None:
    # Arrange: the limit order expired; the deletion's first attempt fails reading the legs
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.10", pending_expiry_minutes=5)
    await world.say(LIMIT, id=20)
    await world.settle(400)
    assert await account.orders() == []
    down = BrokerUnavailable("legs unavailable (injected)")
    world.broker.fail("legs_of", nth=world.broker.calls("legs_of") + 1, error=down)

    # Act: the channel deletes the signal; the deletion is redelivered
    await world.delete(id=20)
    await world.settle()

    # Assert
    deleted = [r for r in await world.records("alice") if r.intent.kind is IntentKind.DELETE]
    assert [c for r in deleted for c in r.result.changes] == []


# Before its fix:
# The same for a late opening: "XAUUSD BUY NOW @ 2650", its levels "SL 2640 TP 2660", then
# the channel flips the signal to SELL. In the order posted the levels open the BUY and the
# flip keeps its filled position (cancel_pending); with the flip delivered first, the levels
# are judged against the SELL the signal became ("SL 2640 is not above 2650 for a sell") and
# nothing opens. Fix: services/late_opening (complete the signal as it stood when the levels
# were posted, and let the flip's take-back rule decide).
async def test_levels_posted_before_their_signals_flip_end_the_same_whichever_comes_first(
    world: World,
) -> None:
    # Arrange
    account = await world.add_user("alice", lot="0.10")
    side_first = world.post("XAUUSD BUY NOW @ 2650", id=1)
    levels = world.post("SL 2640 TP 2660", id=2, reply_to=1)
    flip = world.post("XAUUSD SELL NOW @ 2650", id=1, edited=True)

    # Act: the flip, posted after the levels, is delivered before them
    await world.deliver(side_first, flip, levels)
    await world.settle()

    # Assert: as in the order posted, the BUY opened by the levels is kept
    assert [(p.side, p.sl) for p in await account.positions()] == [("buy", D("2640.00"))]


# Before its fix:
# A re-entry that replies to its signal is refused because another instrument's signal posted
# between them was deleted ("a later signal it may repeat (message 22) was deleted"): the reply
# names the signal, so the deleted EURUSD signal cannot be the one repeated. The trader misses the
# gold re-entry. Since today the same check also runs after placing (_undone_if_gone): a gold
# re-entry placed while the EURUSD signal's deletion runs is opened and closed again at once
# (run by hand). Fix: services/reentry._referred (a deleted later signal refuses only a
# re-entry that does not reply to its signal, and only of the same instrument).
async def test_a_reentry_replying_to_its_signal_opens_after_another_instruments_deletion(
    world: World,
) -> None:
    # Arrange: a gold signal, then a EURUSD one the channel deletes
    account = await world.add_user("alice", lot="0.10")
    await world.say(SIGNAL, id=20)
    await world.say("EURUSD BUY NOW 1.0850\nSL 1.0820\nTP 1.0900", id=22)
    await world.delete(id=22)

    # Act: the channel re-enters the gold signal, replying to it
    await world.say(AGAIN, id=23, reply_to=20)

    # Assert: two gold positions (the signal's and the re-entry's), EURUSD's kept
    symbols = sorted(p.symbol for p in await account.positions())
    assert symbols == ["EURUSD", "XAUUSD", "XAUUSD"]


# Before its fix:
# A deletion under on_signal_deleted=close whose worker died after closing both positions is
# retried and records "nothing of it was left to cancel or close" with no change: a retry looks
# for the orders the attempt cut short cancelled, never for the closes it made (tagged with the
# deletion's close tag). The trader's positions are gone and no record says the copier closed
# them. A flip under the same setting records the same (services/flips -> deletes.take_back;
# found by a crash sweep of a re-entry then a flip, confirmed by hand). Fix:
# services/deletes.take_back (on a retry, record the deletion's own tagged closes, as
# services/retried.closed_since does for a follow-up).
async def test_a_deletion_whose_worker_died_after_closing_records_the_closes(
    tmp_path: Path,
) -> None:
    # Arrange: two legs; the worker closing them for the deletion dies after the second close
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20", on_signal_deleted="close")
    await world.say(GOLD_BUY, id=1)
    world.broker.die("close_position", nth=world.broker.calls("close_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.delete(id=1)

    # Act: the claim runs out, the sweep republishes, Pub/Sub redelivers
    await world.settle(61)
    await world.queue.drain()

    # Assert
    assert await account.positions() == []
    (record,) = [r for r in await world.records("alice") if r.intent.kind is IntentKind.DELETE]
    assert [c.kind for c in record.result.changes] == [ChangeKind.CLOSE, ChangeKind.CLOSE]


# Before its fix:
# A held-back stop's risk cut (today's held_cuts) whose worker died after both partial closes
# is retried and recorded "nothing to change": the retry finds the volume already cut, so it
# cuts nothing more (the volume is right), but only a CLOSE command's retry looks for its own
# tagged closes (services/retried.closed_since), so 0.04 lots closed by the copier are
# recorded nowhere. Found by a crash sweep; without the crash the record lists both cuts. Fix:
# services/commands._act (a retry of a risk-cutting follow-up records its own tagged closes).
async def test_a_held_cut_whose_worker_died_after_cutting_records_the_cuts(
    tmp_path: Path,
) -> None:
    # Arrange: a risk-sized trade; 'Move SL to 2635' posted before the signal's edit to 2645,
    # the edit delivered first; the follow-up's worker dies after its second partial close
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user(
        "alice", risk_mode="risk_percent", risk_percent="1", allow_looser_sl=True
    )
    await world.say(GOLD_BUY, id=1)
    move = world.post("Move SL to 2635", id=2, reply_to=1)
    edit = world.post(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)
    await world.deliver(edit)
    world.broker.die("close_position", nth=world.broker.calls("close_position") + 2, after=True)
    with suppress(asyncio.CancelledError):
        await world.deliver(move)

    # Act
    await world.settle(61)
    await world.queue.drain()

    # Assert: cut once, and the record says so
    assert [p.volume for p in await account.positions()] == [D("0.03"), D("0.02")]
    (record,) = [r for r in await world.records("alice") if r.intent.message_id == 2]
    assert [c.kind for c in record.result.changes] == [ChangeKind.PARTIAL_CLOSE] * 2
