"""The crash sweep's steps and scenarios: realistic sequences of posts, prices and user actions."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass
from decimal import Decimal

from crash_run import Run, Scenario
from signal_copier.services import control

GOLD_BUY = "XAUUSD BUY NOW @ 2650\nSL 2640\nTP1 2655\nTP2 2660"
GOLD_SELL = "XAUUSD SELL NOW @ 2650\nSL 2660\nTP1 2645\nTP2 2640"
BUY_LIMIT = "XAUUSD BUY LIMIT 2640\nSL 2630\nTP 2660"
SELL_LIMIT = "XAUUSD SELL LIMIT 2660\nSL 2670\nTP 2640"
SL_EDIT = GOLD_BUY.replace("SL 2640", "SL 2645")  # the stop edited
TP_EDIT = GOLD_BUY.replace("TP1 2655\nTP2 2660", "TP1 2656\nTP2 2665")  # the targets edited


@dataclass(frozen=True, slots=True)
class Say:
    """The channel posts (or, edited, edits) a message."""

    text: str
    id: int
    _: KW_ONLY
    reply_to: int | None = None
    edited: bool = False

    async def run(self, state: Run) -> None:
        """Post it and run the pipeline."""
        world = state.world
        message = world.post(self.text, id=self.id, reply_to=self.reply_to, edited=self.edited)
        state.messages.append(message)
        await world.pipeline.message(message, message.received)

    async def again(self, state: Run) -> None:
        """Redeliver the same message."""
        await state.world.deliver(state.messages[-1])


@dataclass(frozen=True, slots=True)
class Overtaken:
    """The channel posts `first`, then `then`; `then` is delivered first (first is delayed)."""

    first: Say
    then: Say

    async def run(self, state: Run) -> None:
        """Post both, deliver `then`, then `first`."""
        world, first = state.world, self.first
        late = world.post(first.text, id=first.id, reply_to=first.reply_to, edited=first.edited)
        state.messages.append(late)
        await self.then.run(state)
        await world.deliver(late)

    async def again(self, state: Run) -> None:
        """Redeliver both, `then` first."""
        await state.world.deliver(state.messages[-1], state.messages[-2])


@dataclass(frozen=True, slots=True)
class Delete:
    """The channel deletes a message."""

    id: int

    async def run(self, state: Run) -> None:
        """Publish the deletion and run the pipeline."""
        message = state.world.deletion(id=self.id)
        state.messages.append(message)
        await state.world.pipeline.message(message, message.received)

    async def again(self, state: Run) -> None:
        """Redeliver the same deletion."""
        await state.world.deliver(state.messages[-1])


@dataclass(frozen=True, slots=True)
class Prices:
    """Gold's quote moves (fills and SL/TP hits follow)."""

    bid: str
    ask: str

    async def run(self, state: Run) -> None:
        """Move the price now."""
        await state.world.prices(XAUUSD=(self.bid, self.ask))

    async def again(self, state: Run) -> None:
        """Deliver what the move caused again (the quote itself stays)."""
        quotes = {"XAUUSD": (Decimal(self.bid), Decimal(self.ask))}
        await state.world.pipeline.quotes(quotes, state.world.now)


@dataclass(frozen=True, slots=True)
class Kill:
    """The user presses the kill switch."""

    user: str = "alice"

    async def run(self, state: Run) -> None:
        """Press it."""
        world = state.world
        await control.kill_switch(world.pipeline.deps, self.user, world.now, retry_delays=(0, 0))

    async def again(self, state: Run) -> None:
        """Press it again (the dashboard showed an error)."""
        await self.run(state)


@dataclass(frozen=True, slots=True)
class Wait:
    """Time passes and the scheduler's sweep runs."""

    seconds: float = 61

    async def run(self, state: Run) -> None:
        """Let the time pass and sweep."""
        await state.world.settle(self.seconds)

    async def again(self, state: Run) -> None:
        """Run the sweep again."""
        await state.world.settle(0)


def _alice(**settings: object) -> dict[str, dict[str, object]]:
    return {"alice": settings}


SCENARIOS = (
    Scenario(
        name="split_tp_opening",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY, 1), Prices("2655.50", "2655.80")),
    ),
    Scenario(
        name="breakeven_for_one_of_two_users",
        users={"alice": {"lot": "0.20", "breakeven_on_tp1": True}, "bob": {"lot": "0.40"}},
        steps=(Say(GOLD_BUY, 1), Prices("2655.50", "2655.80"), Say("Close half", 2, reply_to=1)),
    ),
    Scenario(
        name="close_half",
        users=_alice(lot="0.40"),
        steps=(Say(GOLD_BUY, 1), Say("Close half", 2, reply_to=1)),
    ),
    Scenario(
        name="sl_to_entry",
        users=_alice(lot="0.20"),
        steps=(
            Say(GOLD_BUY, 1),
            Prices("2652.00", "2652.30"),
            Say("Move SL to entry", 2, reply_to=1),
        ),
    ),
    Scenario(
        name="edit_sl",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY, 1), Say(SL_EDIT, 1, edited=True)),
    ),
    Scenario(
        name="tp_move_overtakes_an_edit",
        users=_alice(lot="0.20"),
        steps=(
            Say(GOLD_BUY, 1),
            Overtaken(
                Say(TP_EDIT, 1, edited=True),
                Say("Move TP to 2670", 2, reply_to=1),
            ),
        ),
    ),
    Scenario(
        name="edit_overtakes_its_signal",
        users=_alice(lot="0.20"),
        steps=(Overtaken(Say(GOLD_BUY, 1), Say(SL_EDIT, 1, edited=True)),),
    ),
    Scenario(
        name="late_opening",
        users=_alice(lot="0.10"),
        steps=(Say("XAUUSD BUY NOW @ 2650", 1), Say("SL 2640 TP1 2660 TP2 2670", 2, reply_to=1)),
    ),
    Scenario(
        name="close_all",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY, 1), Say("Close all", 2, reply_to=1)),
    ),
    Scenario(
        name="edited_followup",
        users=_alice(lot="0.40"),
        steps=(
            Say(GOLD_BUY, 1),
            Say("Close half", 2, reply_to=1),
            Say("Close all", 2, reply_to=1, edited=True),
        ),
    ),
    Scenario(
        name="side_flip_after_fill",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY, 1), Say(GOLD_SELL, 1, edited=True)),
    ),
    Scenario(
        name="pending_side_flip",
        users=_alice(lot="0.20"),
        steps=(
            Say(BUY_LIMIT, 1),
            Say(SELL_LIMIT, 1, edited=True),
            Prices("2639.50", "2639.80"),
            Prices("2661.00", "2661.30"),
        ),
    ),
    Scenario(
        name="reentry",
        users=_alice(lot="0.10"),
        steps=(
            Say("XAUUSD BUY NOW 2650\nSL 2644\nTP 2660", 1),
            Prices("2647.50", "2647.80"),
            Say("Buy again from here 🔁 same SL and TP", 2, reply_to=1),
        ),
    ),
    Scenario(
        name="deletion",
        users=_alice(lot="0.20"),
        steps=(Say(BUY_LIMIT, 1), Say(GOLD_BUY, 2), Delete(1), Delete(2)),
    ),
    Scenario(
        name="kill_switch",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY, 1), Kill(), Say("Close half", 2, reply_to=1)),
    ),
    Scenario(
        name="pending_cancelled",
        users=_alice(lot="0.20"),
        steps=(
            Say(BUY_LIMIT, 1),
            Say("Cancel the limit order", 2, reply_to=1),
            Prices("2639.50", "2639.80"),
        ),
    ),
    Scenario(
        name="pending_fills_then_close",
        users=_alice(lot="0.10"),
        steps=(Say(BUY_LIMIT, 1), Prices("2639.50", "2639.80"), Say("Close", 2, reply_to=1)),
    ),
    Scenario(
        name="levels_overtaken_by_a_flip",
        users=_alice(lot="0.10"),
        steps=(
            Say("XAUUSD BUY NOW @ 2650", 1),
            Overtaken(Say("SL 2640 TP 2660", 2, reply_to=1), Say(GOLD_SELL, 1, edited=True)),
        ),
    ),
    Scenario(
        # One open trade at most: the close frees the slot the next signal takes.
        name="slot_freed_by_a_close",
        users=_alice(lot="0.10", max_open_trades=1),
        steps=(Say(GOLD_BUY, 1), Say("Close now", 2, reply_to=1), Say(GOLD_SELL, 3)),
    ),
    Scenario(
        name="close_channel_lots",
        users=_alice(lot="0.20"),
        steps=(Say(GOLD_BUY + "\nLot: 1.00", 1), Say("Close 0.3 lots", 2, reply_to=1)),
    ),
)
