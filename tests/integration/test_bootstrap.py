"""The composition root picks one adapter per port and never loads a cloud SDK in local mode."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from signal_copier import bootstrap
from signal_copier.broker.paper import PaperBroker
from signal_copier.config import Settings
from signal_copier.core.errors import InvalidSettings
from signal_copier.queue.inprocess import InProcessQueue
from signal_copier.queue.pubsub import PubSubQueue
from signal_copier.store.sqlite import SqliteStore
from signal_copier.vault.envelope import EnvelopeVault
from signal_copier.vault.local import LocalVault

EMULATORS = {
    "COPIER_MODE": "emulators",
    "COPIER_PUSH_AUTH": "off",
    "GOOGLE_CLOUD_PROJECT": "demo-bootstrap",
    "COPIER_STORE": "sqlite",
}


def test_local_mode_wires_the_embedded_adapters(tmp_path: Path) -> None:
    settings = Settings.from_env({"COPIER_DATA_DIR": str(tmp_path)})

    runtime = bootstrap.build(settings)

    deps = runtime.deps
    assert isinstance(deps.store, SqliteStore) and isinstance(deps.queue, InProcessQueue)
    assert isinstance(deps.vault, LocalVault) and isinstance(deps.broker, PaperBroker)
    assert (tmp_path / "copier.sqlite3").exists()


def test_building_local_mode_never_imports_a_cloud_sdk(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        before = set(sys.modules)  # namespace shells (google, google.cloud) that .pth files add
        import asyncio
        from signal_copier import bootstrap
        from signal_copier.config import Settings
        runtime = bootstrap.build(Settings.from_env({{"COPIER_DATA_DIR": {str(tmp_path)!r}}}))
        asyncio.run(runtime.aclose())
        banned = ("google", "firebase_admin", "metaapi_cloud_sdk", "telethon",
                  "functions_framework", "grpc")
        loaded = sorted(m for m in set(sys.modules) - before if m.split(".")[0] in banned)
        print(",".join(loaded))
        """
    )

    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert done.stdout.strip() == ""


def test_emulators_mode_publishes_to_pubsub_and_seals_secrets_with_a_local_data_key(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({**EMULATORS, "COPIER_DATA_DIR": str(tmp_path)})

    runtime = bootstrap.build(settings)

    assert isinstance(runtime.deps.queue, PubSubQueue)
    assert isinstance(runtime.deps.vault, EnvelopeVault)
    assert "KeyFile" in repr(runtime.deps.vault)


def test_a_data_key_secret_reads_the_keys_from_secret_manager(tmp_path: Path) -> None:
    environ = {**EMULATORS, "COPIER_DATA_DIR": str(tmp_path), "COPIER_DATA_KEY_SECRET": "keys"}

    vault, keys = bootstrap.envelope_vault(Settings.from_env(environ))

    assert repr(keys) == "SecretManagerKeys('projects/demo-bootstrap/secrets/keys')"
    assert isinstance(vault, EnvelopeVault)


def test_a_malformed_data_key_secret_is_refused_naming_the_variable(tmp_path: Path) -> None:
    environ = {**EMULATORS, "COPIER_DATA_KEY_SECRET": "a/b"}

    with pytest.raises(InvalidSettings, match="COPIER_DATA_KEY_SECRET"):
        bootstrap.envelope_vault(Settings.from_env(environ))


def test_the_firestore_store_is_built_when_chosen() -> None:
    module = pytest.importorskip("signal_copier.store.firestore")
    if not hasattr(module, "FirestoreStore"):
        pytest.skip("the Firestore store (FirestoreStore) has not landed in this tree yet")
    environ = {**EMULATORS, "COPIER_STORE": "firestore"}

    runtime = bootstrap.build(Settings.from_env(environ))

    assert isinstance(runtime.deps.store, module.FirestoreStore)


async def test_closing_the_runtime_closes_every_adapter_even_if_one_fails() -> None:
    closed: list[str] = []

    async def fails() -> None:
        closed.append("fails")
        raise RuntimeError("boom")

    async def works() -> None:
        closed.append("works")

    runtime = bootstrap.Runtime(
        settings=Settings(),
        deps=bootstrap.build_local(Settings(), database=":memory:").deps,
        closers=(works, fails),
    )

    await runtime.aclose()

    assert closed == ["fails", "works"]


def test_the_local_runners_refuse_another_mode() -> None:
    settings = Settings.from_env({**EMULATORS})

    with pytest.raises(InvalidSettings, match="COPIER_MODE"):
        bootstrap.build_local(settings)


@pytest.mark.parametrize(("before", "after"), [(700, 10_000), (50_000, 50_000), (0, 0)])
def test_the_local_runtime_collects_young_garbage_less_often_never_more_and_not_if_off(
    before: int, after: int
) -> None:
    saved = gc.get_threshold()
    gc.set_threshold(before, saved[1], saved[2])
    try:
        runtime = bootstrap.build_local(Settings(), database=":memory:")
        runtime.close()

        assert gc.get_threshold() == (after, saved[1], saved[2])
    finally:
        gc.set_threshold(*saved)
