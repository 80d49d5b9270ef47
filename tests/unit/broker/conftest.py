"""The MetaAPI adapter over the fake SDK, fresh for each test."""

import pytest

from fakes.rig import Rig, make_rig


@pytest.fixture
def rig() -> Rig:
    """Return a fresh rig."""
    return make_rig()
