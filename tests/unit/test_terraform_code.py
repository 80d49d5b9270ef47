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
# Secrets Terraform creates for code that is not on main yet: key → the piece that will read it.
AWAITING_CODE = {
    "telegram_bot_token": "the api's Telegram widget login in cloud mode (api on cloud ports)",
    "oidc_client_secret": "the api's Telegram OpenID Connect login in cloud mode",
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


def _wired_secrets(tf: Terraform) -> set[str]:
    ids = {secret_id: key for key, secret_id in tf.local("secrets").items()}
    by_name = {ids[v] for v in function_env(tf).values() if v in ids}
    return by_name | set(tf.local("listener_secret_env").values())


def test_every_secret_the_code_reads_exists_and_its_readers_may_read_it(tf: Terraform) -> None:
    secrets = tf.local("secrets")
    readers: dict[str, list[str]] = {}
    for key, grant in tf.local("secret_accessors").items():
        assert key == f"{grant['secret']}/{grant['workload']}"
        readers.setdefault(grant["secret"], []).append(grant["workload"])
    assert set(tf.local("listener_secret_env").values()) <= set(secrets)
    assert set(readers["telegram_api_hash"]) >= {"listeners"}
    assert {"on_intent", "api", "listeners"} <= set(readers["data_keys"])


def test_every_secret_is_wired_to_code_or_awaits_named_code(tf: Terraform) -> None:
    unwired = (
        set(tf.local("secrets")) - _wired_secrets(tf) - {"telegram_api_id", "telegram_api_hash"}
    )
    assert unwired <= set(AWAITING_CODE), f"secrets no code reads: {unwired - set(AWAITING_CODE)}"
    assert not (set(AWAITING_CODE) & _wired_secrets(tf)), "AWAITING_CODE names a wired secret"
    if unwired:
        pytest.skip("; ".join(f"{k}: awaits {AWAITING_CODE[k]}" for k in sorted(unwired)))


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
