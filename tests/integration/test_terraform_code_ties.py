"""terraform/ against code that writes data or logs: TTL fields, log filters, listener settings.

The TTL check writes through the real Firestore adapters on the emulator and reads the raw
documents back: Firestore deletes a document by its TTL policy's field only if the adapter wrote
that exact field as a timestamp.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from signal_copier.config import Settings
from signal_copier.stack.emulators import Emulators
from terraform_hcl import ROOT, Terraform, load


@pytest.fixture(scope="module")
def tf() -> Terraform:
    return load()


def _declared_ttl_fields() -> set[tuple[str, str]]:
    from signal_copier.store import firestore

    found: set[tuple[str, str]] = set()
    for path in sorted(Path(firestore.__file__).parent.glob("*.py")):
        module = importlib.import_module(f"signal_copier.store.firestore.{path.stem}")
        found.update(getattr(module, "TTL_FIELDS", ()))
    return found


def test_every_ttl_field_the_store_declares_has_a_policy(tf: Terraform) -> None:
    declared = _declared_ttl_fields()
    if not declared:
        pytest.skip("the Firestore store's TTL_FIELDS (store/firestore) is not on main yet")
    assert declared <= set(tf.local("ttl_fields").items())


async def test_login_nonces_and_rate_limits_carry_the_ttl_field(
    firestore_emulator: Emulators, tf: Terraform
) -> None:
    from google.cloud import firestore

    from signal_copier.store.firestore.web import FirestoreWebStore

    client = firestore.AsyncClient(project=firestore_emulator.project)
    store, now = FirestoreWebStore(client), datetime.now(UTC)
    ttl = tf.local("ttl_fields")
    await store.put_nonce("nonce-1", {"next": "/"}, now + timedelta(minutes=10))
    await store.hit("login:tg1", now, timedelta(minutes=10))
    for collection in ("auth_nonces", "ratelimits"):
        documents = [d.to_dict() async for d in client.collection(collection).stream()]
        assert documents, collection
        assert all(isinstance(d.get(ttl[collection]), datetime) for d in documents), collection


def _monitoring(tf: Terraform) -> str:
    return tf.text["monitoring.tf"]


def test_log_filters_name_loggers_that_exist(tf: Terraform) -> None:
    loggers = set(re.findall(r'jsonPayload\.logger=\\"([\w.]+)\\"', _monitoring(tf)))
    assert loggers
    sources = "\n".join(p.read_text() for p in (ROOT / "listeners").glob("*.py"))
    missing = {
        name
        for name in loggers
        if importlib.util.find_spec(name) is None and f'"{name}"' not in sources
    }
    if missing:
        pytest.skip(
            f"the listener fleet (listeners/, services/fleet*) is not on main yet: {missing}"
        )


def test_log_filters_match_messages_the_code_writes(tf: Terraform) -> None:
    metaapi = (ROOT / "functions/signal_copier/broker/metaapi/errors.py").read_text()
    assert "MetaAPI rate limit" in _monitoring(tf) and "MetaAPI rate limit" in metaapi
    listener = ROOT / "listeners" / "main.py"
    if not listener.exists():
        pytest.skip("listeners/main.py (the minute report with sessions=N) is not on main yet")
    assert "sessions=%d" in listener.read_text()


def test_the_listener_reads_everything_through_config(tf: Terraform) -> None:
    source = (ROOT / "listeners" / "main.py").read_text()
    env = {k: str(v) for k, v in tf.value(tf.locals["function_env"]).items()}

    # Every variable is named in config.py: the listener reads none by name itself.
    assert re.findall(r'environ(?:\.get\(|\[)"(COPIER_[A-Z0-9_]+)"', source) == []
    assert "Settings.from_env" in source
    settings = Settings.from_env(env)
    assert (settings.mode, settings.env) == ("cloud", "production")
    assert settings.fleet_capacity == tf.value("${var.listener_capacity}")
    assert settings.fleet_shards == tf.value("${var.listener_shards}")
    secrets = set(tf.local("secrets").values())
    assert {settings.telegram_api_id_secret, settings.telegram_api_hash_secret} <= secrets


def test_the_sweep_may_size_the_pool_its_settings_name(tf: Terraform) -> None:
    settings = Settings.from_env(
        {k: str(v) for k, v in tf.value(tf.locals["function_env"]).items()}
    )
    pool = tf.resource("google_cloud_run_v2_worker_pool", "listeners")
    project, region = tf.value("${var.project_id}"), tf.value("${var.region}")

    name = tf.value(pool["name"])
    assert settings.fleet_pool == f"projects/{project}/locations/{region}/workerPools/{name}"
    sweep = 'serviceAccount:${google_service_account.workload["sweep"].email}'
    grant = tf.resource("google_cloud_run_v2_worker_pool_iam_member", "sweep_scales")
    assert (grant["name"], grant["member"]) == (
        "${google_cloud_run_v2_worker_pool.listeners[0].name}",
        sweep,
    )
    operations = tf.resource("google_project_iam_member", "sweep_follows_operations")
    role = tf.resource("google_project_iam_custom_role", "run_operations_reader")
    assert operations["member"] == sweep and role["permissions"] == ["run.operations.get"]
    acts_as = tf.resource("google_service_account_iam_member", "sweep_acts_as_listeners")
    assert acts_as["service_account_id"] == '${google_service_account.workload["listeners"].name}'
    assert (acts_as["role"], acts_as["member"]) == ("roles/iam.serviceAccountUser", sweep)


def test_the_api_may_check_whether_a_session_was_revoked(tf: Terraform) -> None:
    grant = tf.resource("google_project_iam_member", "api_reads_auth_users")

    assert grant["role"] == "roles/firebaseauth.viewer"
    assert grant["member"] == 'serviceAccount:${google_service_account.workload["api"].email}'
