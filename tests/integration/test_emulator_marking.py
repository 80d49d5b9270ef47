"""The emulator rule of tests/conftest.py, run on small inner test sessions (pytester).

A test that reaches the emulators only at run time (`request.getfixturevalue`) is not marked at
collection; unless its parameter carries the `emulator` mark, its skip would pass unnoticed
where `.ci/run` requires the emulators. The conftest fails such a test instead.
"""

from __future__ import annotations

import pytest

from conftest import repo_root
from signal_copier.stack.emulators import Emulators

pytest_plugins = ["pytester"]

_LATE = """
import pytest

@pytest.fixture(params=["sqlite", {firestore}])
def backend(request):
    if request.param == "firestore":
        return request.getfixturevalue("{fixture}")
    return None

def test_contract(backend):
    pass
"""


def _session(pytester: pytest.Pytester, firestore: str, fixture: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makeconftest((repo_root() / "tests" / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_inner=_LATE.format(firestore=firestore, fixture=fixture))
    return pytester.runpytest_inprocess("-p", "no:cacheprovider", "-rA")


@pytest.mark.parametrize("fixture", ["emulators", "firestore_emulator"])
def test_an_unmarked_parameter_reaching_the_emulators_at_run_time_fails(
    pytester: pytest.Pytester, fixture: str
) -> None:
    result = _session(pytester, '"firestore"', fixture)

    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*test_contract?firestore?*is not marked `emulator`*"])


def test_a_parameter_marked_emulator_reaches_the_emulators(
    pytester: pytest.Pytester, emulators: Emulators
) -> None:
    # The outer test holds the emulators (their hosts are in the environment): the inner
    # session uses them instead of starting its own.
    marked = 'pytest.param("firestore", marks=pytest.mark.emulator)'
    result = _session(pytester, marked, "emulators")

    result.assert_outcomes(passed=2)
