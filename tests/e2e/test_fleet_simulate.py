"""`signal-copier fleet simulate`: the real listeners on SQLite through crashes and long pauses.

The large run takes about 40 s of CPU here (20 listeners, 10,000 users, 5 simulated minutes of
faults plus warm-up and settling: about 8.5 simulated minutes).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from signal_copier.core.leases import LeaseTiming
from signal_copier.fleet.sim.run import Scenario, simulate

BIN = Path(sys.executable).parent


def test_twenty_listeners_ten_thousand_users_never_double_own_or_lose_a_message() -> None:
    timing = LeaseTiming()  # the timing table: TTL 60 s, renew 20 s, takeover after TTL + 10 s
    scenario = Scenario(
        listeners=20, users=10_000, minutes=5, seed=7, crash_rate=0.08, pause_rate=0.04
    )

    report = simulate(scenario)

    assert report.crashes >= 3 and report.pauses >= 1 and report.takeovers > 100, report
    assert report.double_owner_events == 0
    assert report.lost_messages == 0
    assert 0 < report.max_takeover_s <= timing.worst_takeover.total_seconds()  # 75 s
    assert report.sessions_running_at_end == report.users == 10_000


def test_the_same_seed_gives_the_same_run() -> None:
    scenario = Scenario(listeners=4, users=300, minutes=2, seed=11, crash_rate=0.3, pause_rate=0.2)

    assert simulate(scenario) == simulate(scenario)


def test_cli_prints_the_report_as_one_json_object() -> None:
    argv = ["fleet", "simulate", "--listeners", "3", "--users", "150", "--minutes", "1"]
    done = subprocess.run(
        [str(BIN / "signal-copier"), *argv, "--seed", "2", "--crash-rate", "0.5", "--json"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report)[:6] == [
        "double_owner_events",
        "max_takeover_s",
        "lost_messages",
        "duplicate_publishes",
        "sessions_running_at_end",
        "users",
    ]
    assert report["users"] == 150 and report["lost_messages"] == 0


def test_cli_refuses_a_listener_count_below_one() -> None:
    done = subprocess.run(
        [str(BIN / "signal-copier"), "fleet", "simulate", "--listeners", "0"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2 and "--listeners" in done.stderr
