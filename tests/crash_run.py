"""One crash-sweep run: a scenario with at most one failure injected at one store or broker call.

The clean run records the ordered store and broker calls of the scenario (`Tape`). A faulty run
injects one failure at one call position — the worker dies before the call or after it took
effect, or the call raises StoreUnavailable / BrokerUnavailable before or after taking effect —
then recovers as production does: a step whose handler raised is delivered again once the claim
lease has run out (a message redelivered, the sweep run again, the user pressing again); at the
end the lease runs out, the sweep re-publishes held intents, every message and every intent is
delivered again (some twice, out of order), and the sweeps settle what is left. The final state
is open positions, pending orders, and each trade record's status and reason.
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from signal_copier.core.errors import BrokerUnavailable, StoreUnavailable
from signal_copier.core.model import RawMessage
from signal_copier.services.deps import INTENTS_TOPIC
from world import Stores, World

KINDS = ("die-before", "die-after", "fail-before", "fail-after")
LEASE_S = 61  # just past the 60 s claim lease: a dead worker's claim can be taken over
State = tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One failure: at the `position`-th call (1-based) of the scenario, of `kind`."""

    position: int
    kind: str

    @property
    def dies(self) -> bool:
        """Return whether the worker is killed (else the call raises an error)."""
        return self.kind.startswith("die")

    @property
    def after(self) -> bool:
        """Return whether the call takes effect before the failure."""
        return self.kind.endswith("after")


@dataclass(slots=True)
class Tape:
    """The scenario's store and broker calls in order, and the one failure to inject."""

    fault: Fault | None = None
    calls: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)  # calls so far, per port method
    recording: bool = False
    fired: str = ""  # the call the fault fired at, once it has


class Taped:
    """Wrap a port (store, broker, or an account `connect` returned) and log every call."""

    def __init__(self, inner: Any, tape: Tape, port: str, error: type[Exception]) -> None:
        self._inner, self._tape, self._port, self._error = inner, tape, port, error

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._inner, name)
        if not inspect.iscoroutinefunction(real):
            return real
        tape, port, error = self._tape, self._port, self._error

        async def call(*args: Any, **kwargs: Any) -> Any:
            if not tape.recording:
                return await real(*args, **kwargs)
            tape.counts[f"{port}.{name}"] += 1
            label = f"{port}.{name}#{tape.counts[f'{port}.{name}']}"
            tape.calls.append(label)
            fault = tape.fault
            if fault is None or fault.position != len(tape.calls):
                result = await real(*args, **kwargs)
                return Taped(result, tape, "account", error) if name == "connect" else result
            tape.fired = label
            if fault.after:
                await real(*args, **kwargs)
            if fault.dies:
                raise asyncio.CancelledError(f"worker killed at {label}")
            raise error(f"{label} failed (injected)")

        return call


class Keeper:
    """A queue journal that keeps every publication (to deliver every intent once more)."""

    def __init__(self) -> None:
        self.published: list[tuple[str, str, dict[str, str]]] = []

    def keep(self, topic: str, data: str, attributes: Mapping[str, str]) -> int:
        """Remember a publication; return its sequence number."""
        self.published.append((topic, data, dict(attributes)))
        return len(self.published)

    def forget(self, seq: int) -> None:
        """Keep it anyway: the sweep's recovery delivers every intent again."""

    def kept(self) -> list[tuple[int, str, str, dict[str, str]]]:
        """Return nothing to deliver at start (the queue starts empty)."""
        return []


@dataclass(slots=True)
class Run:
    """One run of a scenario on a fresh world, with at most one fault."""

    world: World
    tape: Tape
    keeper: Keeper
    accounts: dict[str, Any] = field(default_factory=dict)
    messages: list[RawMessage] = field(default_factory=list)
    unrecovered: State = ()  # the state before the recovery's redeliveries


class Step(Protocol):
    """One thing that happens in a scenario (a post, a price move, a user's action)."""

    async def run(self, state: Run) -> None:
        """Make it happen now."""

    async def again(self, state: Run) -> None:
        """Deliver it again after its handler died or failed (same message, same action)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """A realistic sequence: users (name → settings) and the steps that follow."""

    name: str
    steps: Sequence[Step]
    users: Mapping[str, Mapping[str, Any]] = field(default_factory=lambda: {"alice": {}})


async def run(
    scenario: Scenario,
    folder: Path,
    fault: Fault | None = None,
    stores: Callable[[], Stores] | None = None,
) -> tuple[Run, State]:
    """Run the scenario (with `fault` injected), recover, settle; return the run and its state."""
    tape, keeper = Tape(fault=fault), Keeper()
    world = World(
        folder,
        wrap=lambda paper: Taped(paper, tape, "broker", BrokerUnavailable),
        wrap_store=lambda store: Taped(store, tape, "store", StoreUnavailable),
        stores=stores,
        journal=keeper,
    )
    state = Run(world, tape, keeper)
    for user, settings in scenario.users.items():
        state.accounts[user] = await world.add_user(user, **settings)
    tape.recording = True
    for step in scenario.steps:
        await _step(state, step)
    tape.recording = False
    state.unrecovered = await snapshot(state)
    await _recover(state)
    return state, await snapshot(state)


async def _step(state: Run, step: Step) -> None:
    try:
        await step.run(state)
    except (asyncio.CancelledError, Exception):
        # Its handler died or failed: Pub/Sub redelivers (the scheduler runs the sweep again,
        # the user presses again) once the ack deadline, and with it the claim lease, is over.
        state.world.later(LEASE_S)
        await step.again(state)


async def _recover(state: Run) -> None:
    world = state.world
    await world.settle(LEASE_S)  # held claims ran out: the sweep re-publishes their intents
    intents = [p for p in state.keeper.published if p[0] == INTENTS_TOPIC]
    await world.deliver(*state.messages)
    for _, data, attributes in intents:
        await world.queue.publish(INTENTS_TOPIC, json.loads(data), attributes=attributes)
    await world.deliver(*reversed(state.messages[::2]))  # some twice, out of order
    await world.settle()
    await world.settle()


async def snapshot(state: Run) -> State:
    """Return the final state: open positions, pending orders, each trade's status and reason."""
    lines: list[str] = []
    for user, account in sorted(state.accounts.items()):
        for p in await account.positions():
            lines.append(f"{user} position {p.symbol} {p.side} {p.volume} sl={p.sl} tp={p.tp}")
        for o in await account.orders():
            lines.append(
                f"{user} order {o.symbol} {o.side} {o.volume} @{o.price} sl={o.sl} tp={o.tp}"
            )
        for r in await state.world.base.trades(user):
            i = r.intent
            lines.append(
                f"{user} trade m{i.message_id}{'e' if i.version else ''}.{i.part} {i.kind}: "
                f"{r.result.status} {r.result.reason}"
            )
    return tuple(sorted(lines))


def difference(clean: State, other: State) -> tuple[str, ...]:
    """Return what `other` lacks (-) and has more (+) than `clean`."""
    want, got = Counter(clean), Counter(other)
    return tuple(
        [f"- {line}" for line in sorted((want - got).elements())]
        + [f"+ {line}" for line in sorted((got - want).elements())]
    )
