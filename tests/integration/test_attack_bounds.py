"""Attack: the 120 s bound and the 30 min settle window (hostile review).

Past its bound an intent stops waiting and "acts on what is known". That is right for a message
that never arrived, but not for one of this user's own intents that has arrived and is still in
flight: after a backlog (an outage, a cold start, a dead worker's retry re-published by the same
sweep) an opening and its edit or follow-up are handled together past the bound. Each test was
a way to lose money that the review reproduced and now proves its fix.
"""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

from builders import GOLD_BUY
from hooks import Hooked
from signal_copier.core.model import RawMessage
from signal_copier.services.pipeline import handle_message
from world import World

REFUSED = "XAUUSD BUY NOW @ 2650\nSL 2660\nTP1 2655\nTP2 2670"  # SL on the wrong side
FIXED = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2670"
FIXED_AGAIN = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2656\nTP2 2670"


def _handled_while_placing(world: World, other: RawMessage) -> None:
    # `other` is handled by another worker while the first order of the next delivery is sent.
    async def meanwhile() -> None:
        await handle_message(other, world.deps, world.now)
        await world.queue.drain()

    world.broker.before("place", meanwhile, nth=world.broker.calls("place") + 1)


async def test_an_edit_past_its_bound_still_moves_the_sl_of_its_original_being_opened(
    tmp_path: Path,
) -> None:
    # Arrange: a signal and its edit (tighter SL) are handled together after a 130 s backlog
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20", max_signal_age_s=600)
    original = world.post(GOLD_BUY, id=1)
    edit = world.post(GOLD_BUY.replace("SL 2640", "SL 2645"), id=1, edited=True)
    _handled_while_placing(world, edit)
    world.later(130)

    # Act
    await world.deliver(original)

    # Assert
    assert {p.sl for p in await account.positions()} == {D("2645.00")}


async def test_two_fixes_of_a_refused_signal_past_their_bound_open_it_once(
    tmp_path: Path,
) -> None:
    # Arrange: a signal refused for its SL, then two edits that fix it, handled together late
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20", max_signal_age_s=600)
    await world.say(REFUSED, id=1)
    first_fix = world.post(FIXED, id=1, edited=True)
    second_fix = world.post(FIXED_AGAIN, id=1, edited=True)
    _handled_while_placing(world, second_fix)
    world.later(130)

    # Act
    await world.deliver(first_fix)

    # Assert: one position per TP, 0.20 lots in all
    assert sum(p.volume for p in await account.positions()) == D("0.20")


async def test_a_close_past_its_bound_still_closes_the_signal_being_opened(
    tmp_path: Path,
) -> None:
    # Arrange: a signal and "Close now" replying to it are handled together late
    world = World(tmp_path, wrap=Hooked)
    account = await world.add_user("alice", lot="0.20", max_signal_age_s=600)
    signal = world.post(GOLD_BUY, id=1)
    close = world.post("Close now", id=2, reply_to=1)
    _handled_while_placing(world, close)
    world.later(130)

    # Act
    await world.deliver(signal)

    # Assert
    assert await account.positions() == []


async def _close_reads(folder: Path, chatter: int) -> int:
    world = World(folder, wrap_store=Hooked)
    await world.add_user("alice", lot="0.20")
    await world.say(GOLD_BUY, id=1)
    for n in range(chatter):
        await world.say(f"What a day #{n}", id=2 + n)
    before = sum(world.store.calls(m) for m in _READS)
    await world.say("Close now", id=1_000, reply_to=1)
    return sum(world.store.calls(m) for m in _READS) - before


_READS = ("latest_message", "messages_up_to", "subscription", "claim_states", "trades", "get_user")


async def test_a_close_reads_as_much_of_the_store_after_a_chatty_half_hour_as_after_none(
    tmp_path: Path,
) -> None:
    # Arrange / Act: the same close, after no chatter and after 150 lines of it
    quiet = await _close_reads(tmp_path / "quiet", 0)
    chatty = await _close_reads(tmp_path / "chatty", 150)

    # Assert: its round trips to the store do not grow with the channel's chatter (each is a
    # round trip to Firestore before the close is sent, for every follower)
    assert chatty <= quiet + 5
