"""Session-wide fixtures: Google's emulators (started once, stopped by PID), and the rule that
tests needing a part this machine has must run, not skip.

`.ci/run` sets COPIER_REQUIRE_EMULATORS=auto and COPIER_REQUIRE_BROWSER=auto: then a skipped
`emulator` test fails the run wherever the emulators are installed, and a skipped `browser` test
wherever Chromium is ("1" requires them unconditionally).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from signal_copier.stack import emulators as emulator_stack

# Tests never time themselves (speed is ./dev bench's): a property example that is slow on a
# loaded machine is not a failure.
hypothesis_settings.register_profile("copier", deadline=None)
hypothesis_settings.load_profile("copier")

_REQUIRED = {
    "emulator": "COPIER_REQUIRE_EMULATORS",
    "browser": "COPIER_REQUIRE_BROWSER",
}
_skipped_required: list[str] = []
_EMULATOR_FIXTURES = {"_emulators_running", "emulators", "firestore_emulator"}


@pytest.fixture(scope="session")
def _emulators_running(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[emulator_stack.Emulators]:
    """Return running Firestore and Pub/Sub emulators (their env vars are set for the session).

    Uses emulators already named by FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST if both
    answer; otherwise starts a pair on free loopback ports. Skips with the reason if missing.
    Tests ask for `emulators` or `firestore_emulator`, which check the test's marker first.
    """
    stack = emulator_stack.running(os.environ)
    started = stack is None
    if stack is None:
        found = emulator_stack.find()
        if isinstance(found, str):
            pytest.skip(found)
        stack = emulator_stack.start(tmp_path_factory.mktemp("emulators"))
    saved = {key: os.environ.get(key) for key in stack.environ()}
    os.environ.update(stack.environ())
    try:
        yield stack
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        if started:
            stack.stop()


@pytest.fixture
def emulators(request: pytest.FixtureRequest) -> emulator_stack.Emulators:
    """Return the session's emulators to a test marked `emulator` (fail an unmarked one).

    A test that reaches the emulators only at run time (`request.getfixturevalue`) is not
    marked at collection: its skip would pass unnoticed where `.ci/run` requires the emulators.
    The check runs before the emulators are looked for, so it holds on every machine.
    """
    if request.node.get_closest_marker("emulator") is None:
        pytest.fail(
            f"{request.node.nodeid} uses the emulators but is not marked `emulator`: "
            "give the parameter that needs them pytest.param(..., marks=pytest.mark.emulator)",
            pytrace=False,
        )
    stack: emulator_stack.Emulators = request.getfixturevalue("_emulators_running")
    return stack


@pytest.fixture
def firestore_emulator(emulators: emulator_stack.Emulators) -> emulator_stack.Emulators:
    """Return the emulators with an empty Firestore database for this test."""
    emulators.wipe_firestore()
    return emulators


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses the emulators as `emulator`, so its skip is never silent."""
    for item in items:
        if _EMULATOR_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.emulator)


@cache
def _required(marker: str) -> bool:
    setting = os.environ.get(_REQUIRED[marker], "")
    if setting != "auto":
        return setting == "1"
    if marker == "emulator":
        return not isinstance(emulator_stack.find(), str)
    return shutil.which("chromium") is not None


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember tests that need a part this machine has, yet skipped."""
    if not report.skipped or hasattr(report, "wasxfail"):  # an expected failure ran: no skip
        return
    for marker in _REQUIRED:
        if marker in report.keywords and _required(marker):
            _skipped_required.append(f"{report.nodeid} ({marker})")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a required emulator or browser test was skipped."""
    if _skipped_required and exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name the tests that skipped although this machine has what they need."""
    if _skipped_required:
        terminalreporter.section("required tests that skipped")
        for line in _skipped_required:
            terminalreporter.write_line(line)


def repo_root() -> Path:
    """Return the repository root."""
    return Path(__file__).resolve().parents[1]
