"""functions/ deploys as the folder it is: a copy of it as Terraform zips it, in a fresh virtual
environment holding only functions/requirements.txt, imports `main` with its entry points and
every cloud adapter, and functions-framework serves `api`'s health route from it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from fresh_venv import fresh_venv, install_pinned

ROOT = Path(__file__).resolve().parents[2]
ENTRY_POINTS = ["on_message", "on_intent", "on_broker_event", "on_dead_letter", "sweep", "api"]
# What cloud mode selects (bootstrap.build imports each only in its branch).
CLOUD_ADAPTERS = [
    "signal_copier.store.firestore",
    "signal_copier.queue.pubsub",
    "signal_copier.vault.envelope",
    "signal_copier.vault.secret_manager",
    "signal_copier.broker.metaapi",
    "signal_copier.auth.firebase",
    "signal_copier.auth.push_token",
    "signal_copier.telegram.telethon",
    "signal_copier.fleet.cloudrun",
]
PROBE = """
import importlib, importlib.util, json, sys
import functions_framework, main
from starlette.testclient import TestClient

entry = {name: callable(getattr(main, name, None)) for name in sys.argv[1].split(",")}
for module in sys.argv[2].split(","):
    importlib.import_module(module)
with TestClient(functions_framework.create_app(target="api", source="main.py")) as client:
    health = client.get("/healthz").json()
print(json.dumps({
    "entry": entry,
    "package": importlib.util.find_spec("signal_copier").origin,
    "dev_tools": [m for m in ("pytest", "hypothesis") if importlib.util.find_spec(m)],
    "health": health,
}))
"""


def test_a_fresh_venv_with_only_the_functions_requirements_serves_the_folder(
    tmp_path: Path,
) -> None:
    # Terraform's archive_file zips functions/ with these excludes (terraform/functions.tf).
    source = tmp_path / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    shutil.copytree(ROOT / "functions", source, ignore=ignore)
    python = fresh_venv(tmp_path / "venv")
    install_pinned(python, ROOT / "functions" / "requirements.txt")

    done = subprocess.run(
        [str(python), "-c", PROBE, ",".join(ENTRY_POINTS), ",".join(CLOUD_ADAPTERS)],
        capture_output=True,
        text=True,
        check=False,
        cwd=source,  # the runtime's working directory is the source root, and on sys.path
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(source)},
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["entry"] == dict.fromkeys(ENTRY_POINTS, True)
    assert Path(seen["package"]).is_relative_to(source)  # not the repository's checkout
    assert seen["dev_tools"] == [] and seen["health"] == {"status": "ok"}
