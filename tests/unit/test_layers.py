"""Services reach adapters only through ports: they import core, services and logs, nothing else."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "signal_copier"
ALLOWED = ("signal_copier.core", "signal_copier.services", "signal_copier.logs")


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names += [a.name for a in node.names]
    return [n for n in names if n.startswith("signal_copier")]


@pytest.mark.parametrize("path", sorted((PACKAGE / "services").glob("*.py")), ids=lambda p: p.name)
def test_a_service_imports_no_adapter(path: Path) -> None:
    adapters = [n for n in _imports(path) if not n.startswith(ALLOWED)]

    assert adapters == [], f"{path.name} imports {adapters}: pass plain data or use a port"
