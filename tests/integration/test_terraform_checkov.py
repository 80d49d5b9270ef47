"""checkov with the project's policies, and `terraform fmt -check`, on terraform/ (offline).

checkov runs from its own virtual environment (it conflicts with the project's lock), built on
first use under .cache/checkov-venv from terraform/policies/requirements-checkov.txt (about two
minutes; reused while that file is unchanged). The tests skip only where that environment cannot
be built for want of a package index. checkov exits 0 on a file it cannot parse, so the fmt
check always runs beside it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from terraform_hcl import load

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
POLICIES = TERRAFORM / "policies"
BROKEN = ROOT / "tests" / "data" / "terraform" / "broken"
REQUIREMENTS = POLICIES / "requirements-checkov.txt"
VENV = ROOT / ".cache" / "checkov-venv"
_OFFLINE = ("No matching distribution", "Could not find a version", "Failed to establish")
CUSTOM = ("CKV2_COPIER_1", "CKV2_COPIER_2", "CKV2_COPIER_3", "CKV2_COPIER_4", "CKV2_COPIER_5")


@cache
def checkov() -> Path:
    """Return the checkov executable, building its virtual environment if needed."""
    binary, stamp = VENV / "bin" / "checkov", VENV / ".requirements-sha256"
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if binary.exists() and stamp.exists() and stamp.read_text() == wanted:
        return binary
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)]
    done = subprocess.run(pip, capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        shutil.rmtree(VENV, ignore_errors=True)
        if any(sign in done.stderr for sign in _OFFLINE):
            pytest.skip(f"checkov's environment cannot be built here: {done.stderr[-300:]}")
        pytest.fail(f"installing checkov failed: {done.stderr[-2000:]}")
    stamp.write_text(wanted)
    return binary


@cache
def scan(folder: Path) -> dict[str, Any]:
    """Return checkov's JSON report on `folder` (every built-in check plus ours), and its code."""
    command = [
        str(checkov()), "-d", str(folder), "--framework", "terraform",
        "--external-checks-dir", str(POLICIES), "--skip-download", "-o", "json",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stdout)
    report = report[0] if isinstance(report, list) else report
    return {"code": done.returncode, **report}


def outcomes(report: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    """Return (check id, resource) of the report's passed or failed checks."""
    return {(c["check_id"], c["resource"]) for c in report["results"][kind]}


def test_checkov_finds_nothing_in_terraform() -> None:
    report = scan(TERRAFORM)
    failed = sorted(outcomes(report, "failed_checks"))
    assert (report["code"], failed, report["summary"]["parsing_errors"]) == (0, [], 0)


def _instances(resource: str, keys: Iterable[str]) -> set[str]:
    return {f'{resource}["{key}"]' for key in keys}


def test_our_policies_judge_every_real_resource() -> None:
    tf = load()
    topics, functions = tf.local("topics"), tf.local("functions")
    expected = {
        "CKV2_COPIER_1": _instances("google_pubsub_subscription.push", topics)
        | _instances("google_pubsub_subscription.dead_letter", topics),
        "CKV2_COPIER_2": _instances("google_cloudfunctions2_function.entry", functions),
        "CKV2_COPIER_3": _instances("google_project_iam_member.builder", ["artifacts", "logs"]),
        "CKV2_COPIER_4": _instances(
            "google_secret_manager_secret_iam_member.accessor", tf.local("secret_accessors")
        ),
        "CKV2_COPIER_5": _instances("google_project_iam_member.firestore_user", ["sweep", "api"]),
    }
    passed = outcomes(scan(TERRAFORM), "passed_checks")
    for policy, resources in expected.items():
        assert {(policy, r) for r in resources} <= passed, policy


@pytest.mark.parametrize(
    ("policy", "resource"),
    [
        ("CKV2_COPIER_1", "google_pubsub_subscription.no_dead_letter_policy"),
        ("CKV2_COPIER_1", "google_pubsub_subscription.no_retry_policy"),
        ("CKV2_COPIER_1", "google_pubsub_subscription.no_oidc_token"),
        ("CKV2_COPIER_2", "google_cloudfunctions2_function.public_on_intent"),
        ("CKV2_COPIER_3", "google_project_iam_member.editor"),
        ("CKV2_COPIER_4", "google_secret_manager_secret_iam_member.public_secret"),
        ("CKV2_COPIER_4", "google_secret_manager_secret_iam_member.default_compute_account"),
        ("CKV2_COPIER_5", "google_project_iam_member.project_wide_secret_access"),
    ],
)
def test_each_policy_fails_on_the_broken_fixture(policy: str, resource: str) -> None:
    report = scan(BROKEN)
    assert report["code"] == 1
    assert (policy, resource) in outcomes(report, "failed_checks")


def test_the_broken_fixture_breaks_each_rule_once() -> None:
    ours = {(p, r) for p, r in outcomes(scan(BROKEN), "failed_checks") if p in CUSTOM}
    assert len(ours) == 8 and {p for p, _ in ours} == set(CUSTOM)


def _terraform() -> str:
    binary = shutil.which("terraform")
    if binary is None:
        pytest.skip("no terraform binary on this machine: the fmt check cannot run")
    return binary


def _fmt(folder: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "terraformrc"
    config.write_text("")  # an empty CLI configuration: no warning about a missing one
    env = {**os.environ, "CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": str(config)}
    command = [_terraform(), "fmt", "-check", "-diff", "-recursive", "-no-color", str(folder)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False)


@pytest.mark.parametrize("folder", [TERRAFORM, BROKEN], ids=["terraform", "fixture"])
def test_terraform_is_formatted(folder: Path, tmp_path: Path) -> None:
    done = _fmt(folder, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_fmt_catches_a_syntax_error_that_checkov_lets_through(tmp_path: Path) -> None:
    broken = tmp_path / "module"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "google_pubsub_topic" "t" {\n  name = "x"\n')
    assert _fmt(broken, tmp_path).returncode == 2
    report = scan(broken)
    assert report["code"] == 0  # checkov alone would call this file fine
