"""The parser compiled with mypyc: built by `./dev setup`, used only while it matches its sources.

`build` compiles a snapshot of core/parsing's modules (not the package's __init__, so the package
and its data files stay where the sources are) into <venv>/mypyc, beside a manifest holding the
digest of every core/ source the snapshot was taken from, and installs a .pth file that calls
`install` at interpreter start. The finder it installs serves a compiled module only while the
digest of the sources on disk is the manifest's: an edited .py runs as edited (pure Python) until
the next `./dev setup`. Cloud deploys never have the .pth: they run pure Python.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import EXTENSION_SUFFIXES, ModuleSpec
from pathlib import Path
from types import ModuleType
from typing import Any

PURE_ENV = "SIGNAL_COPIER_PURE_PYTHON"  # set to 1: never load the compiled parser
PACKAGE = Path(__file__).resolve().parent
SOURCES = PACKAGE / "core"  # what the compiled modules were built from (and type-checked against)
FOLDER = Path(sys.prefix) / "mypyc"
MANIFEST = "manifest.json"
PTH = "signal_copier_compiled.pth"
_COMPILED = "core/parsing"
_SUFFIX = EXTENSION_SUFFIXES[0]
# Run by every interpreter of the venv at start: a broken checkout must not break pip or mypy, so
# a failure to install the finder leaves the pure-Python parser (tests check which one runs).
_PTH_LINE = (
    "import sys; exec('try:\\n import signal_copier.compiled as c; c.install()\\n"
    "except Exception:\\n pass')\n"
)


def digest(sources: Path) -> str:
    """Return a digest of the names and bytes of every .py file under `sources`."""
    h = hashlib.sha256()
    for path in sorted(sources.rglob("*.py")):
        h.update(path.relative_to(sources).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


class CompiledFinder(MetaPathFinder):
    """Serve the manifest's compiled modules, only while their sources are unchanged."""

    def __init__(self, folder: Path, sources: Path, manifest: dict[str, Any]) -> None:
        self._folder, self._sources = folder, sources
        self._digest: str = manifest["digest"]
        self._modules: dict[str, str] = manifest["modules"]
        self._fresh: bool | None = None  # decided at the first compiled module asked for

    def fresh(self) -> bool:
        """Return whether the sources on disk are those the modules were compiled from."""
        if self._fresh is None:
            self._fresh = digest(self._sources) == self._digest
        return self._fresh

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        """Return the compiled module's spec, or None to let the sources be imported."""
        name = self._modules.get(fullname)
        if name is None or not self.fresh():
            return None
        return importlib.util.spec_from_file_location(fullname, self._folder / name)


def finder(folder: Path = FOLDER, sources: Path = SOURCES) -> CompiledFinder | None:
    """Return the finder of the build in `folder`, or None when there is none for these sources."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("python") != sys.version or manifest.get("sources") != str(sources):
        return None
    return CompiledFinder(folder, sources, manifest)


def install() -> None:
    """Put the compiled parser's finder first on sys.meta_path when a build for it is present."""
    found = finder()
    if found is not None and not any(isinstance(f, CompiledFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, found)


def state() -> str:
    """Return which parser a process started now runs: "compiled", or "pure Python" and why."""
    if os.environ.get(PURE_ENV, "") not in ("", "0"):
        return f"pure Python ({PURE_ENV} is set)"
    found = finder()
    if found is None:
        return "pure Python (no compiled build: ./dev setup)"
    if not found.fresh():
        return "pure Python (sources edited since the build: ./dev setup)"
    return "compiled"


class BuildError(Exception):
    """The parser could not be compiled; the pure-Python parser runs."""


def build(folder: Path = FOLDER) -> None:
    """Compile the parser into `folder` unless a build of the current sources is there already."""
    current = digest(SOURCES)
    existing = finder(folder)
    if existing is None or not existing.fresh():
        _build(folder, current)
    purelib = Path(sysconfig.get_paths()["purelib"])
    (purelib / PTH).write_text(_PTH_LINE, encoding="utf-8")


def _build(folder: Path, current: str) -> None:
    # The old build is swapped out only once the new one is whole, so a process never finds half
    # of each (one that loaded the old modules keeps them: they stay mapped once unlinked).
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mypyc-", dir=folder.parent) as tmp:
        work, staged, old = Path(tmp) / "work", Path(tmp) / "staged", Path(tmp) / "old"
        _snapshot(work)
        if digest(work / "signal_copier" / "core") != current:
            raise BuildError("the sources changed while they were copied")
        modules = _compile(work)
        for name in modules.values():
            (staged / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / name, staged / name)
        manifest = {"digest": current, "python": sys.version, "sources": str(SOURCES)}
        text = json.dumps({**manifest, "modules": modules}, indent=1)
        (staged / MANIFEST).write_text(text, encoding="utf-8")
        if folder.exists():
            folder.rename(old)
        staged.rename(folder)


def _snapshot(work: Path) -> None:
    # The package's __init__ and core/: all that the parsing modules import.
    target = work / "signal_copier"
    ignore = shutil.ignore_patterns("__pycache__", "*.so")
    shutil.copytree(SOURCES, target / "core", ignore=ignore)
    shutil.copy2(PACKAGE / "__init__.py", target / "__init__.py")


def _compile(work: Path) -> dict[str, str]:
    # mypyc builds in place: each module's shim beside its source, and one shared library.
    sources = sorted(p for p in (work / "signal_copier").glob(f"{_COMPILED}/*.py"))
    files = [p.relative_to(work).as_posix() for p in sources if p.name != "__init__.py"]
    run = subprocess.run(
        [sys.executable, "-m", "mypyc", *files], cwd=work, capture_output=True, text=True
    )
    if run.returncode != 0:
        lines = (run.stdout + run.stderr).strip().splitlines()
        last = lines[-1] if lines else f"mypyc exited with {run.returncode}"
        raise BuildError(last if len(last) <= 200 else last[:200] + "...")
    modules = {f[: -len(".py")].replace("/", "."): f[: -len(".py")] + _SUFFIX for f in files}
    shared = [p.name for p in work.glob(f"*__mypyc{_SUFFIX}")]
    if len(shared) != 1 or not all((work / name).is_file() for name in modules.values()):
        raise BuildError("mypyc did not produce the expected modules")
    modules[shared[0][: -len(_SUFFIX)]] = shared[0]
    return modules


def main(argv: Sequence[str]) -> int:
    """Build the compiled parser (`build`) or say which parser runs (`state`).

    A failed build is not an error: it says so in one line, and the pure-Python parser runs.
    """
    if list(argv) not in (["build"], ["state"]):
        print("usage: main(['build']) or main(['state'])", file=sys.stderr)
        return 2
    if list(argv) == ["state"]:
        print(f"parser: {state()}")
        return 0
    if importlib.util.find_spec("mypyc") is None:
        print("parser: pure Python (mypyc comes with the dev set: ./dev setup dev)")
        return 0
    try:
        build()
    except (BuildError, OSError) as e:
        print(f"parser: pure Python (compiling it with mypyc failed: {e})")
        return 0
    print(f"parser: {state()}")
    return 0
