"""Google's Firestore and Pub/Sub emulators, started with Java directly and stopped by PID.

Used by the tests (one pair per test session) and by `signal-copier demo --stack emulators`.
The emulators ship with the Google Cloud CLI; where they are missing, `find()` says why.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path

PROJECT = "demo-signal-copier"
READY_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Installation:
    """Where the emulators are: the Firestore jar and the Pub/Sub launcher."""

    firestore_jar: Path
    pubsub_launcher: Path
    java: str


@dataclass(slots=True, kw_only=True)
class Emulators:
    """A running pair of emulators (started here, or found running) and their addresses."""

    firestore: str  # host:port
    pubsub: str  # host:port
    project: str = PROJECT
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    def environ(self) -> dict[str, str]:
        """Return the variables the Google clients read to talk to these emulators."""
        return {
            "FIRESTORE_EMULATOR_HOST": self.firestore,
            "PUBSUB_EMULATOR_HOST": self.pubsub,
            "GOOGLE_CLOUD_PROJECT": self.project,
        }

    def wipe_firestore(self) -> None:
        """Delete every document in the emulator's default database."""
        url = (
            f"http://{self.firestore}/emulator/v1/projects/{self.project}"
            "/databases/(default)/documents"
        )
        request = urllib.request.Request(url, method="DELETE")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def load_rules(self, rules: str) -> None:
        """Replace the Firestore emulator's security rules (applied to non-admin requests)."""
        url = f"http://{self.firestore}/emulator/v1/projects/{self.project}:securityRules"
        body = json.dumps({"rules": {"files": [{"content": rules}]}}).encode()
        request = urllib.request.Request(
            url, data=body, method="PUT", headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10):
            pass

    def for_project(self, project: str) -> Emulators:
        """Return these emulators seen from another project (stopping it stops nothing)."""
        return replace(self, project=project, processes=[], logs=[])

    def stop(self) -> None:
        """Stop the emulators this object started (by PID; found ones are left running)."""
        for process in self.processes:
            _terminate(process)
        self.processes.clear()


@cache
def find() -> Installation | str:
    """Return where the emulators are installed, or a one-line reason why they cannot run."""
    java = shutil.which("java")
    if java is None:
        return "the emulators need Java (not found on PATH)"
    root = _sdk_root()
    if root is None:
        return "the Google Cloud CLI is not installed (gcloud not found)"
    jar = root / "platform" / "cloud-firestore-emulator" / "cloud-firestore-emulator.jar"
    launcher = root / "platform" / "pubsub-emulator" / "bin" / "cloud-pubsub-emulator"
    if not jar.is_file():
        return "the Firestore emulator is not installed (google-cloud-cli-firestore-emulator)"
    if not launcher.is_file():
        return "the Pub/Sub emulator is not installed (google-cloud-cli-pubsub-emulator)"
    return Installation(firestore_jar=jar, pubsub_launcher=launcher, java=java)


def running(environ: Mapping[str, str]) -> Emulators | None:
    """Return emulators already running at the hosts `environ` names, if both answer."""
    firestore = environ.get("FIRESTORE_EMULATOR_HOST", "")
    pubsub = environ.get("PUBSUB_EMULATOR_HOST", "")
    if not (firestore and pubsub and _answers(firestore) and _answers(pubsub)):
        return None
    project = environ.get("GOOGLE_CLOUD_PROJECT", PROJECT)
    return Emulators(firestore=firestore, pubsub=pubsub, project=project)


def start(log_dir: Path, project: str = PROJECT) -> Emulators:
    """Start both emulators on free loopback ports; wait until they answer.

    Raises RuntimeError (with the log's tail) if one does not come up.
    """
    found = find()
    if isinstance(found, str):
        raise RuntimeError(found)
    log_dir.mkdir(parents=True, exist_ok=True)
    firestore, pubsub = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
    stack = Emulators(firestore=firestore, pubsub=pubsub, project=project)
    commands = {
        "firestore": [
            found.java,
            "-Duser.language=en",
            "-cp",
            str(found.firestore_jar),
            "com.google.cloud.datastore.emulator.firestore.CloudFirestore",
            "start",
            "--host=127.0.0.1",
            f"--port={firestore.rsplit(':', 1)[1]}",
        ],
        "pubsub": [
            str(found.pubsub_launcher),
            "--host=127.0.0.1",
            f"--port={pubsub.rsplit(':', 1)[1]}",
        ],
    }
    try:
        for name, command in commands.items():
            log = log_dir / f"{name}-emulator.log"
            stack.logs.append(log)
            with log.open("wb") as sink:
                stack.processes.append(
                    subprocess.Popen(
                        command,
                        stdout=sink,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,  # its own group: stopping it stops its JVM
                    )
                )
        for host, log in ((firestore, stack.logs[0]), (pubsub, stack.logs[1])):
            _wait_ready(host, log)
    except BaseException:
        stack.stop()
        raise
    return stack


@contextmanager
def session(log_dir: Path, environ: MutableMapping[str, str] = os.environ) -> Iterator[Emulators]:
    """Use the emulators `environ` names if both answer, else start a pair here.

    While the block runs, `environ` names them (the Google clients read it); afterwards it is
    restored, and emulators started here are stopped by PID.
    """
    stack = running(environ)
    started = stack is None
    if stack is None:
        stack = start(log_dir)
    saved = {key: environ.get(key) for key in stack.environ()}
    environ.update(stack.environ())
    try:
        yield stack
    finally:
        for key, value in saved.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value
        if started:
            stack.stop()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _sdk_root() -> Path | None:
    configured = os.environ.get("CLOUDSDK_ROOT_DIR")
    if configured:
        return Path(configured)
    gcloud = shutil.which("gcloud")
    if gcloud is None:
        return None
    # gcloud lives in <root>/bin (often behind a symlink); asking gcloud itself takes ~1 s.
    candidate = Path(gcloud).resolve().parent.parent
    if (candidate / "platform").is_dir():
        return candidate
    try:
        done = subprocess.run(
            [gcloud, "info", "--format=value(installation.sdk_root)"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    root = done.stdout.strip()
    return Path(root) if done.returncode == 0 and root else None


def _answers(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _wait_ready(host: str, log: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if _answers(host):
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise RuntimeError(f"the emulator at {host} did not start in {READY_TIMEOUT_S:.0f}s: {tail}")


def _terminate(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except (ProcessLookupError, PermissionError):
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
