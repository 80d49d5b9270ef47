"""Shared fixtures for scenario tests.

Every scenario using `world` runs twice: with intents delivered in order once each, and with the
in-process queue delivering them in a random order (seeded from the test's name), 1-3 times each.
The same assertions must hold: correctness never depends on delivery order or count.
"""

import zlib
from pathlib import Path

import pytest

from world import World


@pytest.fixture(params=["ordered", "shuffled"])
def world(tmp_path: Path, request: pytest.FixtureRequest) -> World:
    """Return a fresh local deployment (store, queue, vault, paper broker, pipeline)."""
    if request.param == "ordered":
        return World(tmp_path)
    seed = zlib.crc32(request.node.nodeid.encode())
    return World(tmp_path, seed=seed, max_duplicates=3)
