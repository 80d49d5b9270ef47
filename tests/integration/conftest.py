"""Shared fixtures for scenario tests.

Every scenario using `world` runs twice: with intents delivered in order once each, and with the
in-process queue delivering them in a random order (seeded from the test's name), 1-3 times each.
The same assertions must hold: correctness never depends on delivery order or count.

Production runs on Firestore, so the scenario suites named by COPIER_FIRESTORE_WORLDS also run
every test once more on the Firestore store (the emulator, an empty database per World): the
`world` fixture's and every `World(...)` the test builds itself. Unset, that is
the review and attack suites (CI); a comma-separated list of module patterns chooses others,
"all" every module that builds a World, "none" none:

    COPIER_FIRESTORE_WORLDS=all ./dev test tests/integration -k firestore   # ~8 min here
"""

import itertools
import os
import zlib
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

import pytest

from signal_copier.stack.emulators import Emulators
from world import Stores, World, firestore_stores

CI_SUITES = ("test_review1*", "test_attack_*")
FIRESTORE = pytest.param("firestore", marks=pytest.mark.emulator)
_WORLDS = itertools.count(1)


def _firestore_suites() -> tuple[str, ...]:
    chosen = os.environ.get("COPIER_FIRESTORE_WORLDS", "").strip()
    if not chosen:
        return CI_SUITES
    if chosen == "none":
        return ()
    if chosen == "all":
        return ("*",)
    return tuple(part.strip() for part in chosen.split(",") if part.strip())


def _builds_worlds(metafunc: pytest.Metafunc) -> bool:
    module = metafunc.module
    if getattr(module, "CHOOSES_STORES", False):
        return False
    if not any(fnmatch(module.__name__.rpartition(".")[2], p) for p in _firestore_suites()):
        return False
    # The modules using the `world` fixture import World too (their tests are annotated with it).
    return any(
        isinstance(value, type) and issubclass(value, World) for value in vars(module).values()
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the chosen suites' World scenarios on the Firestore store as well."""
    if _builds_worlds(metafunc):
        metafunc.parametrize("world_stores", ["sqlite", FIRESTORE], indirect=True)


@pytest.fixture(autouse=True)
def world_stores(request: pytest.FixtureRequest) -> Iterator[str]:
    """Make every World this test builds use the chosen stores ("sqlite" or "firestore")."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield "sqlite"
        return
    emulators: Emulators = request.getfixturevalue("emulators")

    def fresh() -> Stores:  # each World its own empty database (a crash sweep builds dozens)
        database = emulators.for_project(f"{emulators.project}-world{next(_WORLDS)}")
        database.wipe_firestore()
        return firestore_stores(database.project)

    saved = World.stores
    World.stores = staticmethod(fresh)
    try:
        yield "firestore"
    finally:
        World.stores = saved


@pytest.fixture(params=["ordered", "shuffled"])
def world(tmp_path: Path, request: pytest.FixtureRequest, world_stores: str) -> World:
    """Return a fresh local deployment (store, queue, vault, paper broker, pipeline)."""
    if request.param == "ordered":
        return World(tmp_path)
    seed = zlib.crc32(request.node.nodeid.encode())
    return World(tmp_path, seed=seed, max_duplicates=3)
