"""The listener image: a fresh virtual environment from listeners/requirements.txt alone can
import listeners.main, and the Dockerfile is checked statically (there is no container runtime)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from fresh_venv import fresh_venv, install_pinned

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "listeners" / "Dockerfile"


def test_a_fresh_venv_with_only_the_listener_requirements_imports_the_entry(tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    install_pinned(python, ROOT / "listeners" / "requirements.txt")
    probe = (
        "import importlib.util, listeners.main as m; "
        "assert importlib.util.find_spec('google.cloud.run_v2') is None; "
        "assert importlib.util.find_spec('pytest') is None; "
        "print(m.settings_from({}).capacity)"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": f"{ROOT / 'functions'}{os.pathsep}{ROOT}",
    }
    done = subprocess.run(
        [str(python), "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "1000"


def _instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    return [(line.split()[0].upper(), line.partition(" ")[2]) for line in lines]


def test_the_base_image_is_pinned_to_an_exact_version_or_digest() -> None:
    bases = [args for op, args in _instructions() if op == "FROM"]
    assert bases, "no FROM"
    for base in bases:
        assert "@sha256:" in base or re.search(r":\d+\.\d+\.\d+[\w.-]*$", base), base
        assert not base.endswith(":latest")


def test_the_image_runs_as_a_non_root_user() -> None:
    ops = _instructions()
    users = [args for op, args in ops if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    last_user = max(i for i, (op, _) in enumerate(ops) if op == "USER")
    assert all(op not in {"RUN", "COPY", "ADD"} for op, _ in ops[last_user:]), "USER must come last"


def test_only_the_listener_requirements_are_installed() -> None:
    runs = " ".join(args for op, args in _instructions() if op == "RUN")
    installs = re.findall(r"pip install[^&;]*", runs)
    assert installs and all("-r listeners/requirements.txt" in i for i in installs)
    assert "requirements.lock" not in runs and "-e ." not in runs


def test_no_secret_is_baked_into_the_image() -> None:
    for op, args in _instructions():
        if op in {"ENV", "ARG", "LABEL"}:
            assert not re.search(
                r"(?i)(secret|token|password|api_hash|api_key|credential)", args
            ), args
        if op in {"COPY", "ADD"}:
            assert not re.search(r"(?i)(\.env\b|\.key\b|secrets|var/|\.json\b)", args), args
    ignore = (ROOT / "listeners" / "Dockerfile.dockerignore").read_text(encoding="utf-8")
    assert "**" in ignore.splitlines(), "the build context must send only what the image copies"


def test_the_entry_point_is_the_listener_module() -> None:
    cmds = [args for op, args in _instructions() if op in {"CMD", "ENTRYPOINT"}]
    assert cmds == ['["python", "-m", "listeners.main"]']
