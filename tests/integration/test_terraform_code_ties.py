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
from signal_copier.core.errors import InvalidSettings
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


def test_the_worker_pool_sets_what_the_listener_requires(tf: Terraform) -> None:
    listener = ROOT / "listeners" / "main.py"
    if not listener.exists():
        pytest.skip("listeners/main.py (the listener fleet) is not on main yet")
    source = listener.read_text()
    env = {
        **{k: str(v) for k, v in tf.value(tf.locals["function_env"]).items()},
        **{k: str(v) for k, v in tf.value(tf.locals["listener_env"]).items()},
        **{name: "secret-value" for name in tf.local("listener_secret_env")},
    }
    # Read without a default (or with an empty one): the listener cannot start without it.
    required = set(re.findall(r'environ(?:\.get\(|\[)"(COPIER_[A-Z0-9_]+)"(?:\)|\]|, "")', source))
    assert required - set(env) == set()
    if "Settings.from_env" in source:  # configured like the functions: the same checks hold
        base = Settings.from_env(env)
        assert (base.mode, base.env) == ("cloud", "production")
        unread = {n for n in env if f'"{n}"' not in source and _probe_unread(env, n, base)}
    else:
        unread = {n for n in env if f'"{n}"' not in source}
    assert unread == set()


def _probe_unread(env: dict[str, str], name: str, base: Settings) -> bool:
    try:
        return Settings.from_env({**env, name: "probe-value"}) == base
    except InvalidSettings:
        return False
