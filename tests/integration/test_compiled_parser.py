"""The mypyc-compiled parser: used only while it matches its sources; it reads as they do."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from signal_copier import compiled
from signal_copier.core.parsing import lexicon, parse, symbols, tokens

ROOT = Path(__file__).resolve().parents[2]
TEXTS = sorted((ROOT / "tests" / "data" / "parsing").glob("*.jsonl"))
# Prints each text's reading in full (repr of the Parse, explanation included) and the file the
# scanner was loaded from.
READ_ALL = """
import json, sys
from signal_copier.core.parsing import parse, tokens
print(tokens.__file__)
for path in sys.argv[1:]:
    for line in open(path, encoding="utf-8"):
        if line.strip():
            print(repr(parse(json.loads(line)["text"])))
"""


def _readings() -> list[str]:
    return [
        repr(parse(json.loads(line)["text"]))
        for path in TEXTS
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def _build_of(tmp_path: Path, sources: Path) -> Path:
    folder = tmp_path / "build"
    folder.mkdir()
    manifest = {
        "digest": compiled.digest(sources),
        "python": sys.version,
        "sources": str(sources),
        "modules": {"fake_parser": "fake_parser" + EXTENSION_SUFFIXES[0]},
    }
    (folder / compiled.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


@pytest.fixture
def unswitched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the finders of these tests' own builds load even where the pure switch is set."""
    monkeypatch.delenv(compiled.PURE_ENV, raising=False)


def _sources(tmp_path: Path) -> Path:
    sources = tmp_path / "core"
    (sources / "parsing").mkdir(parents=True)
    (sources / "parsing" / "tokens.py").write_text("X = 1\n", encoding="utf-8")
    return sources


def test_this_run_parses_with_the_compiled_parser_exactly_when_it_matches_its_sources() -> None:
    # Arrange
    found = compiled.finder()
    if found is None:
        pytest.skip(f"no compiled parser for this venv: {compiled.state()}")

    # Act
    loaded_compiled = tokens.__file__ is not None and tokens.__file__.endswith(
        EXTENSION_SUFFIXES[0]
    )

    # Assert
    assert loaded_compiled == found.fresh(), compiled.state()


def test_the_build_compiles_every_parsing_module_but_the_package_itself() -> None:
    # Arrange
    try:
        text = (compiled.FOLDER / compiled.MANIFEST).read_text(encoding="utf-8")
    except OSError:
        pytest.skip(f"no compiled parser for this venv: {compiled.state()}")
    parsing = compiled.SOURCES / "parsing"

    # Act
    modules = set(json.loads(text)["modules"])

    # Assert
    expected = {f"signal_copier.core.parsing.{p.stem}" for p in parsing.glob("*.py")}
    assert modules >= expected - {"signal_copier.core.parsing.__init__"}
    assert "signal_copier.core.parsing" not in modules  # its data files stay beside the sources


def test_the_pure_python_parser_reads_every_test_text_as_this_run_does() -> None:
    # Arrange
    env = {**os.environ, compiled.PURE_ENV: "1"}
    command = [sys.executable, "-c", READ_ALL, *map(str, TEXTS)]

    # Act
    run = subprocess.run(command, capture_output=True, text=True, env=env, check=True, cwd=ROOT)
    pure_file, *pure = run.stdout.splitlines()

    # Assert
    assert pure_file.endswith(".py")
    assert len(pure) > 300
    assert pure == _readings()


@pytest.mark.usefixtures("unswitched")
def test_an_edited_source_is_never_shadowed_by_its_compiled_module(tmp_path: Path) -> None:
    # Arrange
    sources = _sources(tmp_path)
    folder = _build_of(tmp_path, sources)
    before = compiled.finder(folder, sources)
    assert before is not None
    served = before.find_spec("fake_parser", None)

    # Act
    (sources / "parsing" / "tokens.py").write_text("X = 2\n", encoding="utf-8")
    after = compiled.finder(folder, sources)

    # Assert
    assert served is not None and served.origin == str(
        folder / f"fake_parser{EXTENSION_SUFFIXES[0]}"
    )
    assert after is not None and after.find_spec("fake_parser", None) is None
    assert after.find_spec("json", None) is None  # modules it did not compile: never its business


@pytest.mark.usefixtures("unswitched")
def test_a_source_added_after_the_build_makes_it_stale(tmp_path: Path) -> None:
    # Arrange
    sources = _sources(tmp_path)
    folder = _build_of(tmp_path, sources)

    # Act
    (sources / "new.py").write_text("", encoding="utf-8")
    found = compiled.finder(folder, sources)

    # Assert
    assert found is not None and not found.fresh()


@pytest.mark.usefixtures("unswitched")
def test_a_build_for_another_interpreter_or_checkout_is_not_loaded(tmp_path: Path) -> None:
    # Arrange
    sources = _sources(tmp_path)
    folder = _build_of(tmp_path, sources)
    manifest = json.loads((folder / compiled.MANIFEST).read_text(encoding="utf-8"))
    other = tmp_path / "other"
    other.mkdir()

    # Act
    (other / compiled.MANIFEST).write_text(json.dumps({**manifest, "python": "3.99"}), "utf-8")
    elsewhere = compiled.finder(folder, tmp_path / "elsewhere")

    # Assert
    assert compiled.finder(other, sources) is None
    assert elsewhere is None


def test_the_pure_python_switch_and_a_missing_or_garbled_manifest_load_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Arrange
    sources = _sources(tmp_path)
    folder = _build_of(tmp_path, sources)
    garbled = tmp_path / "garbled"
    garbled.mkdir()
    (garbled / compiled.MANIFEST).write_text("{not json", encoding="utf-8")

    # Act
    monkeypatch.setenv(compiled.PURE_ENV, "1")
    switched = compiled.finder(folder, sources)
    monkeypatch.delenv(compiled.PURE_ENV)

    # Assert
    assert switched is None
    assert compiled.finder(tmp_path / "missing", sources) is None
    assert compiled.finder(garbled, sources) is None
    assert compiled.finder(folder, sources) is not None


def test_frozen_keyword_only_values_of_the_parser_stay_frozen_and_keyword_only() -> None:
    # Arrange
    lexicon_value = lexicon.load()
    table = tokens.TABLE

    # Act / Assert
    with pytest.raises(dataclasses.FrozenInstanceError):
        lexicon_value.symbols = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        table.aliases = {}  # type: ignore[misc]
    assert not hasattr(lexicon_value, "__dict__") and not hasattr(table, "__dict__")
    with pytest.raises(TypeError):
        lexicon.Lexicon({}, {}, {}, frozenset(), ())  # type: ignore[misc]
    with pytest.raises(TypeError):
        symbols.SymbolTable({})  # type: ignore[misc]
