"""The layering holds: core is pure, and cloud/Telegram/broker SDKs stay in adapters."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "functions" / "signal_copier"
RUFF = shutil.which("ruff", path=str(Path(sys.executable).parent))
SDK_IMPORTS = [
    "from google.cloud import firestore",
    "import firebase_admin",
    "from metaapi_cloud_sdk import MetaApi",
    "import telethon",
    "import functions_framework",
]


def _ruff_codes(path: str, source: str) -> set[str]:
    assert RUFF is not None
    done = subprocess.run(
        [
            RUFF,
            "check",
            "--output-format",
            "concise",
            "--select",
            "TID251",
            "--stdin-filename",
            path,
            "-",
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return {code for code in ("TID251",) if code in done.stdout}


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed in this environment")
@pytest.mark.parametrize("statement", SDK_IMPORTS)
@pytest.mark.parametrize("layer", ["core/model.py", "services/pipeline.py"])
def test_sdk_import_in_core_or_services_is_banned(statement: str, layer: str) -> None:
    assert _ruff_codes(f"functions/signal_copier/{layer}", statement + "\n") == {"TID251"}


@pytest.mark.skipif(RUFF is None, reason="ruff is not installed in this environment")
@pytest.mark.parametrize(
    "adapter", ["store/firestore.py", "broker/metaapi.py", "telegram/telethon.py"]
)
def test_sdk_import_in_an_adapter_is_allowed(adapter: str) -> None:
    assert _ruff_codes(f"functions/signal_copier/{adapter}", SDK_IMPORTS[0] + "\n") == set()


def _core_sources() -> list[Path]:
    return sorted((PACKAGE / "core").rglob("*.py"))


@pytest.mark.parametrize("path", _core_sources(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_never_reads_the_clock_or_does_io(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    banned_modules = {
        "asyncio",
        "sqlite3",
        "socket",
        "subprocess",
        "requests",
        "time",
        "random",
        "uuid",
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            assert not {n.split(".")[0] for n in names} & banned_modules, f"{path.name} imports I/O"
        if isinstance(node, ast.Attribute) and node.attr in {"now", "utcnow", "today"}:
            assert not (
                isinstance(node.value, ast.Name) and node.value.id in {"datetime", "date"}
            ), f"{path.name}:{node.lineno} reads the clock; pass `now` in"


def test_no_method_is_left_to_raise_not_implemented() -> None:
    # An abstract method is an abc.abstractmethod (or a Protocol's): a subclass that forgets it
    # fails when it is made, not when the method is first called.
    found = []
    for path in [*sorted(PACKAGE.rglob("*.py")), ROOT / "functions" / "main.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            raised = node.exc if isinstance(node, ast.Raise) else None
            if isinstance(raised, ast.Call):
                raised = raised.func
            if isinstance(raised, ast.Name) and raised.id == "NotImplementedError":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
