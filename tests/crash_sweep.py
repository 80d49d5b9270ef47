"""Crash sweep: a scenario run once cleanly, then once per (store or broker call, failure kind).

Each faulty run (crash_run.py) recovers as production does; its final state must equal the clean
run's. `sweep` runs every call position, or a seeded share of them, and `table` prints what
differed, grouped by difference. `python tests/crash_sweep.py [scenario ...]` sweeps every
position of every scenario (or the named ones) and prints the table; an unknown name is refused
with the list of valid ones (exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sys
import tempfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from crash_run import KINDS, Fault, Scenario, difference, run
from crash_scenarios import SCENARIOS


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """A crash point whose recovered state differs from the clean run's."""

    scenario: str
    call: str  # e.g. "account.close_position#4" ("" for the clean run delivered again)
    kind: str
    difference: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str, str]:
        """Return (scenario, call, kind): what names this crash point across code changes."""
        return (self.scenario, self.call, self.kind)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sweep:
    """What one scenario's sweep ran and found."""

    scenario: str
    calls: tuple[str, ...]
    crash_points: int
    findings: tuple[Finding, ...]


def sample(calls: int, share: float, seed: str) -> list[int]:
    """Return call positions (1-based) to sweep: all of them, or a seeded share of them."""
    every = list(range(1, calls + 1))
    if share >= 1:
        return every
    chosen = random.Random(zlib.crc32(seed.encode())).sample(every, max(1, round(calls * share)))
    return sorted(chosen)


async def sweep(scenario: Scenario, folder: Path, share: float = 1.0) -> Sweep:
    """Run the scenario cleanly, then with each failure kind at each sampled call position."""
    clean_run, clean = await run(scenario, folder / "clean")
    calls = tuple(clean_run.tape.calls)
    findings = []
    if clean_run.unrecovered != clean:  # delivering everything again changed something
        findings.append(
            Finding(
                scenario=scenario.name,
                call="",
                kind="redelivered",
                difference=difference(clean_run.unrecovered, clean),
            )
        )
    points = [(k, kind) for k in sample(len(calls), share, scenario.name) for kind in KINDS]
    for k, kind in points:
        faulty, state = await run(scenario, folder / f"{k}-{kind}", Fault(position=k, kind=kind))
        if faulty.tape.fired != calls[k - 1]:  # the runs must agree up to the fault
            raise RuntimeError(f"{scenario.name}: fault {k} fired at {faulty.tape.fired!r}")
        if diff := difference(clean, state):
            findings.append(
                Finding(scenario=scenario.name, call=calls[k - 1], kind=kind, difference=diff)
            )
    return Sweep(
        scenario=scenario.name, calls=calls, crash_points=len(points), findings=tuple(findings)
    )


def table(sweeps: Iterable[Sweep]) -> str:
    """Return a compact table: per scenario, each distinct difference and where it appeared."""
    lines = []
    for done in sweeps:
        groups: dict[tuple[str, ...], list[str]] = {}
        for f in done.findings:
            groups.setdefault(f.difference, []).append(f"{f.call or 'clean'} {f.kind}")
        lines.append(
            f"{done.scenario}: {len(done.calls)} calls, {done.crash_points} crash points, "
            f"{len(done.findings)} differing in {len(groups)} way(s)"
        )
        for diff, where in groups.items():
            lines.append(f"  at {', '.join(where)}")
            lines.extend(f"    {line}" for line in diff)
    return "\n".join(lines)


def chosen(argv: Sequence[str]) -> list[Scenario]:
    """Return the scenarios named in `argv` (all of them if none); exit 2 on an unknown name."""
    valid = [s.name for s in SCENARIOS]
    parser = argparse.ArgumentParser(
        prog="python tests/crash_sweep.py",
        description="Sweep every call position of the named crash scenarios (all if none).",
        epilog=f"scenarios: {', '.join(valid)}",
    )
    parser.add_argument("scenario", nargs="*", help="a scenario name (see below)")
    names = parser.parse_args(argv).scenario
    if unknown := [name for name in names if name not in valid]:
        parser.error(f"unknown scenario(s): {', '.join(unknown)}; choose from: {', '.join(valid)}")
    return [s for s in SCENARIOS if not names or s.name in names]


async def _main(scenarios: list[Scenario]) -> None:
    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as folder:
        for scenario in scenarios:
            print(table([await sweep(scenario, Path(folder) / scenario.name)]), flush=True)


if __name__ == "__main__":
    asyncio.run(_main(chosen(sys.argv[1:])))
