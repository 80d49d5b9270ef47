"""terraform/ deploys what the code uses: entry points, topics, settings, secrets, indexes, logs.

Each check reads the code itself (functions/main.py with `ast`, `config.Settings.from_env`, the
Firestore adapters' declarations). Where a piece of code has not landed yet, the check skips and
names it.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.services.deps import Timing
from terraform_hcl import ROOT, Terraform, load

MAIN = ROOT / "functions" / "main.py"
PACKAGE = ROOT / "functions" / "signal_copier"
_PUBLISH = {"publish", "publish_many"}
# Which workloads read the secret each setting names, as the code composes them: the envelope
# vault (every workload that seals or opens credentials), bootstrap_api (the api: Log In With
# Telegram, the legacy widget, linking Telegram accounts) and listeners/main.py (sessions).
READERS = {
    "data_key_secret": {"on_intent", "on_broker_event", "on_dead_letter", "sweep", "api"},
    "telegram_login_secret": {"api"},
    "telegram_bot_token_secret": {"api"},
    "telegram_api_id_secret": {"api", "listeners"},
    "telegram_api_hash_secret": {"api", "listeners"},
}


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load()


def entry_points() -> set[str]:
    """Return the decorated top-level functions of functions/main.py."""
    if not MAIN.exists():
        pytest.skip("functions/main.py (the cloud entry points) is not on this branch yet")
    tree = ast.parse(MAIN.read_text())
    return {
        node.name
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.decorator_list
    }


def _string_constants() -> dict[str, str]:
    # Every module-level NAME = "literal" of the package and the listeners (topics are named so).
    constants: dict[str, str] = {}
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "listeners").glob("*.py")]:
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        constants[target.id] = node.value.value
    return constants


def _receiver(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "")


def published_topics() -> dict[str, list[str]]:
    """Return topic → where the code publishes to it (calls on a queue: `….queue.publish(…)`)."""
    constants, found = _string_constants(), {}
    for path in [*PACKAGE.rglob("*.py"), *(ROOT / "listeners").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if node.func.attr not in _PUBLISH or "queue" not in _receiver(node.func.value):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.setdefault(first.value, []).append(where)
            elif isinstance(first, ast.Name) and first.id in constants:
                found.setdefault(constants[first.id], []).append(where)
            else:
                pytest.fail(f"{where}: publishes to a topic this check cannot name")
    return found


def test_every_entry_point_in_main_is_deployed(tf: Terraform) -> None:
    assert set(tf.local("functions")) == entry_points()


def test_every_topic_the_code_publishes_to_pushes_to_its_consumer(tf: Terraform) -> None:
    topics, entries = tf.local("topics"), entry_points()
    published = published_topics()
    assert published, "no publish call found: the scan is broken"
    assert set(published) <= set(topics), f"topics without infrastructure: {published}"
    for topic, consumer in topics.items():
        # Convention: topic `broker-events` is consumed by `on_broker_event`.
        assert consumer == "on_" + topic.removesuffix("s").replace("-", "_")
        assert consumer in entries
    assert tf.local("dead_letter_consumer") in entries


def test_dead_letter_topics_are_named_as_the_queue_names_them(tf: Terraform) -> None:
    from signal_copier.queue import pubsub

    suffix = tf.local("dead_letter_suffix")
    assert all(pubsub.dead_letter_topic(t) == f"{t}{suffix}" for t in tf.local("topics"))
    assert set(pubsub.TOPICS) == set(tf.local("topics"))


def function_env(tf: Terraform) -> dict[str, str]:
    """Return the functions' environment with offline stand-ins for what only apply knows."""
    return {key: str(value) for key, value in tf.value(tf.locals["function_env"]).items()}


def test_function_env_satisfies_production_cloud_settings(tf: Terraform) -> None:
    settings = Settings.from_env(function_env(tf))
    assert (settings.mode, settings.env, settings.push_auth) == ("cloud", "production", True)
    assert settings.data_key_secret in tf.local("secrets").values()


def test_every_variable_cloud_mode_requires_is_set(tf: Terraform) -> None:
    with pytest.raises(InvalidSettings) as refused:
        Settings.from_env({"COPIER_MODE": "cloud", "COPIER_ENV": "production"})
    # Each problem starts with the variable it is about: "COPIER_X: why; COPIER_Y: why".
    problems = str(refused.value).split("; ")
    required = {m.group(1) for p in problems if (m := re.match(r"(COPIER_[A-Z0-9_]+)", p))}
    assert required, "config names no required variable: the check reads nothing"
    assert required - set(function_env(tf)) == set()


def test_every_variable_terraform_sets_changes_the_settings(tf: Terraform) -> None:
    env = function_env(tf)
    base = Settings.from_env(env)
    for name in env:
        try:
            probed = Settings.from_env({**env, name: "probe-value"})
        except InvalidSettings:
            continue  # refused: config reads it
        assert probed != base, f"{name} is set by Terraform but config never reads it"


def test_push_audience_is_each_functions_own_url(tf: Terraform) -> None:
    audience = tf.locals["push_audience"]
    assert unquote_all(audience) == "https://${var.region}-${var.project_id}.cloudfunctions.net"
    precondition = tf.resource("google_pubsub_subscription", "push")["lifecycle"][0]
    assert "url ==" in str(precondition["precondition"])


def unquote_all(text: str) -> str:
    """Return an hcl2 template string without its outer quotes."""
    return text[1:-1] if text.startswith('"') else text


def test_function_timeouts_stay_below_the_claim_lease(tf: Terraform) -> None:
    lease = Settings.from_env(function_env(tf)).claim_lease_s
    assert lease == Timing().lease.total_seconds()
    assert all(f["timeout_s"] < lease for f in tf.local("functions").values())
    assert tf.local("push.max_delivery_attempts") > Settings.from_env(function_env(tf)).max_attempts


def secret_settings(tf: Terraform) -> dict[str, str]:
    """Return Settings field → the key of the secret Terraform names in it (probed, not guessed)."""
    env, ids = function_env(tf), {v: k for k, v in tf.local("secrets").items()}
    base, found = Settings.from_env(env), {}
    for name, value in env.items():
        if value in ids:
            probed = Settings.from_env({**env, name: "probe-secret"})
            fields = [f for f in READERS if getattr(probed, f) != getattr(base, f)]
            assert len(fields) == 1, f"{name} names a secret no secret setting reads"
            found[fields[0]] = ids[value]
    return found


def test_every_secret_terraform_creates_is_named_to_the_code_that_reads_it(tf: Terraform) -> None:
    named = secret_settings(tf)

    assert set(named) == set(READERS), f"secret settings Terraform leaves unset: {named}"
    assert set(named.values()) == set(tf.local("secrets")), "a secret no setting names"


def test_every_workload_that_reads_a_secret_may_read_it(tf: Terraform) -> None:
    readers: dict[str, set[str]] = {}
    for key, grant in tf.local("secret_accessors").items():
        assert key == f"{grant['secret']}/{grant['workload']}"
        readers.setdefault(grant["secret"], set()).add(grant["workload"])

    for setting, secret in secret_settings(tf).items():
        assert READERS[setting] <= readers[secret], f"{secret}: {READERS[setting]} must read it"
    assert "on_message" not in readers["data_keys"]  # it never touches the vault


def test_the_worker_pool_runs_on_the_functions_settings(tf: Terraform) -> None:
    template = tf.resources["google_cloud_run_v2_worker_pool"]["listeners"]["template"][0]
    blocks = template["containers"][0]["dynamic"]
    env = {}
    for block in blocks:
        env.update(tf.value(block['"env"']["for_each"]))

    assert env == tf.value(tf.locals["function_env"])
    assert '"value_source"' not in str(blocks), "secret values never pass through the pool's env"


def test_firebase_hosting_rewrites_api_to_the_deployed_function(tf: Terraform) -> None:
    hosting = json.loads((ROOT / "firebase.json").read_text())["hosting"]
    rewrites = [r["function"] for r in hosting["rewrites"] if "function" in r]
    assert rewrites and all(r["functionId"] in tf.local("functions") for r in rewrites)
    # Hosting sends a rewrite without a region to us-central1: the default region must match.
    region = tf.value("${var.region}")
    assert all(r.get("region", "us-central1") == region for r in rewrites)


def _composite_queries() -> list[Any]:
    from signal_copier.store import firestore

    found = []
    for path in sorted(Path(firestore.__file__).parent.glob("*.py")):
        module = __import__(f"signal_copier.store.firestore.{path.stem}", fromlist=["_"])
        found.extend(getattr(module, "COMPOSITE_QUERIES", ()))
    return found


def test_every_composite_query_has_its_index() -> None:
    queries = _composite_queries()
    if not queries:
        pytest.skip("the Firestore store's COMPOSITE_QUERIES (store/firestore) is not on main yet")
    indexes = json.loads((ROOT / "firestore.indexes.json").read_text())["indexes"]
    declared = [{k: i[k] for k in ("collectionGroup", "queryScope", "fields")} for i in indexes]
    assert [q for q in queries if q.index() not in declared] == []
