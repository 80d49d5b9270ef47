"""The sweep: independent upkeep steps, on the local adapters."""

from __future__ import annotations

from datetime import datetime

from builders import GOLD_BUY
from signal_copier.core.errors import StoreUnavailable
from signal_copier.services.deps import Deps
from signal_copier.services.sweep import STEPS, Step, run_sweep
from world import World

LIMIT_BUY = "XAUUSD BUY LIMIT 2600\nSL 2590\nTP1 2655\nTP2 2660"


async def test_a_failing_step_is_reported_and_the_next_step_still_runs(world: World) -> None:
    ran: list[str] = []

    async def broken(deps: Deps, now: datetime) -> int:
        ran.append("broken")
        raise StoreUnavailable("down")

    async def fine(deps: Deps, now: datetime) -> int:
        ran.append("fine")
        return 1

    steps = [Step(name="a", run=broken), Step(name="b", run=fine)]
    report = await run_sweep(world.deps, world.now, steps)

    assert ran == ["broken", "fine"]
    assert report.failed == {"a": "store_unavailable"} and report.counts == {"b": 1}
    assert not report.ok


async def test_every_upkeep_step_runs_and_reports_what_it_did(world: World) -> None:
    await world.add_user("tg1")
    await world.say(GOLD_BUY, id=1)

    report = await run_sweep(world.deps, world.now)

    assert report.ok
    assert (
        set(report.counts)
        == {s.name for s in STEPS}
        == {
            "edits_resumed",
            "parked_rerun",
            "claims_republished",
            "pending_expired",
            "polls_published",
            "fleet_scaled",
        }
    )


async def test_pending_entries_past_their_expiry_are_cancelled_once(world: World) -> None:
    await world.add_user("tg1", pending_expiry_minutes=5)
    await world.say(LIMIT_BUY, id=1)
    assert await world.paper.account("acc-tg1").orders()

    world.later(6 * 60)
    first = await run_sweep(world.deps, world.now)
    second = await run_sweep(world.deps, world.now)

    assert (first.counts["pending_expired"], second.counts["pending_expired"]) == (1, 0)
    assert await world.paper.account("acc-tg1").orders() == []
