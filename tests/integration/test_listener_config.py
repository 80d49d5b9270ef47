"""listeners/main.py is configured through config.Settings like every process: the fleet's
shards and capacity, and the Telegram app's credentials (secrets by name, or values locally)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from secret_manager_stub import SecretManagerStub, secret_manager
from signal_copier.core.errors import InvalidSettings
from signal_copier.fleet.local import LocalScaler
from signal_copier.store.sqlite import SqliteStore

__all__ = ["secret_manager"]
# listeners/ is its own deployable beside functions/: loaded from its file, as the image runs it.
_SPEC = importlib.util.spec_from_file_location(
    "listener_main", Path(__file__).resolve().parents[2] / "listeners" / "main.py"
)
assert _SPEC is not None and _SPEC.loader is not None
listener = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(listener)
API_HASH = "0123456789abcdef0123456789abcdef"


def test_the_fleet_settings_come_from_config() -> None:
    fleet = listener.settings_from({"COPIER_FLEET_SHARDS": "64", "COPIER_FLEET_CAPACITY": "2500"})

    assert (fleet.shards, fleet.capacity) == (64, 2500)


def test_a_bad_capacity_stops_the_listener_naming_it() -> None:
    with pytest.raises(InvalidSettings, match="COPIER_FLEET_CAPACITY"):
        listener.settings_from({"COPIER_FLEET_CAPACITY": "0"})


async def test_locally_the_telegram_app_is_given_as_values(tmp_path: Path) -> None:
    environ = {
        "COPIER_DATA_DIR": str(tmp_path),
        "COPIER_TELEGRAM_API_ID": "123456",
        "COPIER_TELEGRAM_API_HASH": API_HASH,
    }

    deps, runtime = await listener.build(environ)

    assert isinstance(deps.store, SqliteStore) and deps.store is runtime.deps.store
    assert runtime.deps.fleet is not None and isinstance(runtime.deps.fleet.scaler, LocalScaler)
    await runtime.aclose()


async def test_without_the_telegram_app_the_listener_does_not_start(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettings, match="COPIER_TELEGRAM_API_ID"):
        await listener.build({"COPIER_DATA_DIR": str(tmp_path)})


async def test_named_secrets_are_read_from_secret_manager(
    secret_manager: SecretManagerStub, tmp_path: Path
) -> None:
    secret_manager.secrets["projects/demo-fleet/secrets/tg-id"] = [b"123456"]
    secret_manager.secrets["projects/demo-fleet/secrets/tg-hash"] = [API_HASH.encode()]
    environ = {
        "COPIER_DATA_DIR": str(tmp_path),
        "COPIER_PROJECT": "demo-fleet",
        "COPIER_SECRET_MANAGER_ENDPOINT": secret_manager.endpoint,
        "COPIER_TELEGRAM_API_ID_SECRET": "tg-id",
        "COPIER_TELEGRAM_API_HASH_SECRET": "tg-hash",
    }

    _, runtime = await listener.build(environ)

    assert sorted(secret_manager.accesses) == [
        "projects/demo-fleet/secrets/tg-hash/versions/latest",
        "projects/demo-fleet/secrets/tg-id/versions/latest",
    ]
    await runtime.aclose()
