"""Settings from the environment: presets per mode, overrides per port, production refusals."""

from __future__ import annotations

import dataclasses

import pytest

from signal_copier.config import CHOICES, LOCAL_ADAPTERS, PRESETS, Settings
from signal_copier.core.errors import InvalidSettings

PUSH = {
    "COPIER_PUSH_AUDIENCE": "https://copier.example/",
    "COPIER_PUSH_SERVICE_ACCOUNT": "push@p.iam.gserviceaccount.com",
}
CLOUD = {
    "COPIER_MODE": "cloud",
    "COPIER_PROJECT": "copier-prod",
    "COPIER_DATA_KEY_SECRET": "data-keys",
    **PUSH,
}


def _ports(settings: Settings) -> dict[str, str]:
    return {port: getattr(settings, port) for port in CHOICES}


def test_nothing_set_is_local_mode_on_embedded_parts() -> None:
    settings = Settings.from_env({})

    assert settings.mode == "local" and _ports(settings) == LOCAL_ADAPTERS


@pytest.mark.parametrize("mode", ["local", "emulators", "cloud"])
def test_each_mode_presets_one_adapter_per_port(mode: str) -> None:
    environ = {**CLOUD, "COPIER_MODE": mode}

    assert _ports(Settings.from_env(environ)) == PRESETS[mode]


@pytest.mark.parametrize(("port", "options"), list(CHOICES.items()))
def test_every_port_can_be_overridden_in_every_mode(port: str, options: tuple[str, ...]) -> None:
    for mode in PRESETS:
        for choice in options:
            environ = {**CLOUD, "COPIER_MODE": mode, f"COPIER_{port.upper()}": choice}
            assert getattr(Settings.from_env(environ), port) == choice


def test_cloud_mode_names_every_missing_variable_at_once() -> None:
    with pytest.raises(InvalidSettings) as raised:
        Settings.from_env({"COPIER_MODE": "cloud"})

    message = str(raised.value)
    for name in (
        "COPIER_PROJECT",
        "COPIER_DATA_KEY_SECRET",
        "COPIER_PUSH_AUDIENCE",
        "COPIER_PUSH_SERVICE_ACCOUNT",
    ):
        assert name in message


def test_emulators_mode_needs_the_push_check_settings_or_an_explicit_off() -> None:
    environ = {"COPIER_MODE": "emulators", "GOOGLE_CLOUD_PROJECT": "demo-x"}
    with pytest.raises(InvalidSettings, match="COPIER_PUSH_AUTH=off"):
        Settings.from_env(environ)

    settings = Settings.from_env({**environ, "COPIER_PUSH_AUTH": "off"})

    assert settings.push_auth is False and settings.project == "demo-x"


def test_the_push_audience_loses_a_trailing_slash() -> None:
    assert Settings.from_env(CLOUD).push_audience == "https://copier.example"


@pytest.mark.parametrize(("port", "local"), list(LOCAL_ADAPTERS.items()))
def test_production_refuses_every_local_adapter(port: str, local: str) -> None:
    environ = {**CLOUD, "COPIER_ENV": "production", f"COPIER_{port.upper()}": local}

    with pytest.raises(InvalidSettings, match=f"COPIER_{port.upper()}={local}"):
        Settings.from_env(environ)


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"COPIER_PUSH_AUTH": "off"}, "COPIER_PUSH_AUTH=off"),
        ({"FIRESTORE_EMULATOR_HOST": "127.0.0.1:1"}, "FIRESTORE_EMULATOR_HOST"),
        ({"PUBSUB_EMULATOR_HOST": "127.0.0.1:1"}, "PUBSUB_EMULATOR_HOST"),
        ({"COPIER_SECRET_MANAGER_ENDPOINT": "http://x"}, "COPIER_SECRET_MANAGER_ENDPOINT"),
    ],
)
def test_production_refuses_test_shortcuts(extra: dict[str, str], named: str) -> None:
    with pytest.raises(InvalidSettings, match=named):
        Settings.from_env({**CLOUD, "COPIER_ENV": "production", **extra})


def test_production_accepts_the_cloud_preset() -> None:
    settings = Settings.from_env({**CLOUD, "COPIER_ENV": "production"})

    assert settings.env == "production" and settings.push_auth


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COPIER_MODE", "staging"),
        ("COPIER_ENV", "prod"),
        ("COPIER_STORE", "postgres"),
        ("COPIER_QUEUE", "kafka"),
        ("COPIER_PUSH_AUTH", "maybe"),
        ("COPIER_PUBLISH_TIMEOUT_S", "soon"),
        ("COPIER_CLAIM_LEASE_S", "0"),
        ("COPIER_KEY_CACHE_TTL_S", "nan"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidSettings, match=name):
        Settings.from_env({name: value})


def test_settings_never_hold_a_secret_only_where_it_lives() -> None:
    environ = {
        **CLOUD,
        "COPIER_METAAPI_TOKEN": "tok-123456",
        "TELEGRAM_API_HASH": "hash-abcdef",
        "COPIER_DATA_KEY": "key-material",
    }

    settings = Settings.from_env(environ)

    values = [str(getattr(settings, f.name)) for f in dataclasses.fields(settings)]
    assert not {"tok-123456", "hash-abcdef", "key-material"} & set(values)
    assert settings.data_key_secret == "data-keys"  # the secret's name, not its value
