"""Shared fixtures for scenario tests."""

from pathlib import Path

import pytest

from world import World


@pytest.fixture
def world(tmp_path: Path) -> World:
    """Return a fresh local deployment (store, queue, vault, paper broker, pipeline)."""
    return World(tmp_path)
