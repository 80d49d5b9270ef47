"""The sweep: independent steps over the users with copied trades, on the local adapters."""

from __future__ import annotations

from datetime import datetime

from builders import GOLD_BUY
from signal_copier.core.errors import StoreUnavailable
from signal_copier.services.deps import Deps
from signal_copier.services.sweep import STEPS, Step, run_sweep
from world import World


async def test_a_failing_step_is_reported_and_the_next_step_still_runs(world: World) -> None:
    ran: list[str] = []

    async def broken(deps: Deps, now: datetime) -> dict[str, int]:
        ran.append("broken")
        raise StoreUnavailable("down")

    async def fine(deps: Deps, now: datetime) -> dict[str, int]:
        ran.append("fine")
        return {"n": 1}

    report = await run_sweep(
        world.deps, world.now, [Step(name="a", run=broken), Step(name="b", run=fine)]
    )

    assert ran == ["broken", "fine"]
    assert report.failed == {"a": "store_unavailable"} and report.counts == {"b": {"n": 1}}
    assert not report.ok


async def test_pending_entries_past_their_expiry_are_cancelled_once(world: World) -> None:
    await world.add_user("tg1", pending_expiry_minutes=5)
    await world.add_user("tg2")
    await world.say(
        GOLD_BUY.replace("BUY NOW @ 2650", "BUY LIMIT 2600").replace("2640", "2590"), id=1
    )
    assert await world.paper.account("acc-tg1").orders()

    world.later(6 * 60)
    first = await run_sweep(world.deps, world.now, STEPS)
    second = await run_sweep(world.deps, world.now, STEPS)

    assert first.counts["expire_pending"]["users"] == 2
    assert first.counts["expire_pending"]["cancelled"] == 1
    assert second.counts["expire_pending"]["cancelled"] == 0
    assert await world.paper.account("acc-tg1").orders() == []


async def test_managed_users_come_in_pages_in_id_order(world: World) -> None:
    for user in ("tg3", "tg1", "tg2"):
        await world.add_user(user)
    await world.say(GOLD_BUY, id=1)

    first = await world.store.managed_users(limit=2)
    rest = await world.store.managed_users(after=first[-1], limit=2)

    assert (first, rest) == (["tg1", "tg2"], ["tg3"])
