"""A fresh virtual environment holding only what a deployable's pinned requirements install,
through pip as this machine has it set up (its index settings and cache)."""

from __future__ import annotations

import re
import subprocess
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements-dev.lock"


def fresh_venv(where: Path) -> Path:
    """Create a virtual environment with pip; return its python (skip where venv is missing)."""
    try:
        venv.EnvBuilder(with_pip=True, clear=True).create(where)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"cannot create a virtual environment here ({e}): ensurepip/venv missing")
    return where / "bin" / "python"


def install_pinned(python: Path, requirements: Path) -> None:
    """Install exactly the pinned list (no dependency resolution), then check it is complete.

    Skips only when pip cannot fetch packages whose pins match requirements-dev.lock (the
    versions the tests run on): a pin that differs from the lock fails instead.
    """
    done = _pip(python, "install", "-q", "--no-deps", "-r", str(requirements))
    if done.returncode != 0:
        drifted = {
            name: version
            for name, version in pins(requirements).items()
            if pins(LOCK).get(name) != version
        }
        assert not drifted, f"{requirements.name} pins versions the lock does not: {drifted}"
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"pip could not fetch the pinned packages here: {reason[:200]}")
    check = _pip(python, "check")
    assert check.returncode == 0, f"{requirements} misses a dependency:\n{check.stdout[-3000:]}"


def pins(requirements: Path) -> dict[str, str]:
    """Return the `name==version` pins of a requirements file, by normalised name."""
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            found[re.sub(r"[-_.]+", "-", name).lower()] = version.split(";")[0].strip()
    return found


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), "-m", "pip", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
