"""The demo channel, delivered in any order and any number of times, ends as the in-order run."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from delivery import FinalState, replay
from signal_copier.core.records import Plan
from signal_copier.services import demo
from signal_copier.telegram import replay as replay_file

ROOT = Path(__file__).resolve().parents[2]
SEEDS = range(1, 21)


@pytest.fixture(scope="module")
def events() -> list[replay_file.ReplayEvent]:
    return replay_file.load(ROOT / "examples" / "demo_channel.jsonl")  # previous ids set


# The demo users on an unlimited plan: which signals get a limited plan's last trades of the day
# depends, between two channels, on which arrives first (README, "Delivery in any order"); the
# order within one channel is covered by tests/integration/test_delivery_scenarios.py.
USERS = tuple(replace(user, plan=Plan.PREMIUM) for user in demo.DEMO_USERS)


@pytest.fixture(scope="module")
def in_order(
    events: list[replay_file.ReplayEvent], tmp_path_factory: pytest.TempPathFactory
) -> FinalState:
    folder = tmp_path_factory.mktemp("in-order")
    return asyncio.run(replay(events, folder, seed=None, users=USERS))


@pytest.mark.parametrize("seed", SEEDS)
async def test_shuffled_and_duplicated_delivery_ends_as_the_in_order_run(
    seed: int,
    events: list[replay_file.ReplayEvent],
    in_order: FinalState,
    tmp_path: Path,
) -> None:
    shuffled = await replay(events, tmp_path, seed=seed, users=USERS)

    assert shuffled.positions == in_order.positions
    assert shuffled.orders == in_order.orders
    assert shuffled.records == in_order.records


def test_the_in_order_run_trades_follows_up_and_refuses(in_order: FinalState) -> None:
    statuses = {status for records in in_order.records.values() for status, _ in records.values()}
    assert {"placed", "applied", "skipped"} <= statuses
    assert all(in_order.positions.values())


def test_the_demo_channels_deleted_signal_is_placed_then_taken_back(in_order: FinalState) -> None:
    # FX Pro Signals' message 512 (an AUDUSD sell limit) is deleted three minutes after its post.
    assert ("applied", "signal_deleted") in in_order.records["bob"].values()
    assert all(order[0] != "AUDUSD" for orders in in_order.orders.values() for order in orders)
