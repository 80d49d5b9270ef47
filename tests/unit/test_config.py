"""Settings from the environment: presets per mode, overrides per port, production refusals."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from signal_copier.bootstrap import timing
from signal_copier.config import CHOICES, LOCAL_ADAPTERS, PRESETS, Settings, telegram_app
from signal_copier.core.errors import InvalidSettings
from signal_copier.services.deps import Timing

PUSH = {
    "COPIER_PUSH_AUDIENCE": "https://copier.example/",
    "COPIER_PUSH_SERVICE_ACCOUNT": "push@p.iam.gserviceaccount.com",
}
POOL = "projects/copier-prod/locations/us-central1/workerPools/copier-listeners"
CLOUD = {
    "COPIER_MODE": "cloud",
    "COPIER_PROJECT": "copier-prod",
    "COPIER_DATA_KEY_SECRET": "data-keys",
    "COPIER_TELEGRAM_API_ID_SECRET": "tg-api-id",
    "COPIER_TELEGRAM_API_HASH_SECRET": "tg-api-hash",
    "COPIER_TELEGRAM_CLIENT_ID": "7000000001",
    "COPIER_TELEGRAM_REDIRECT_URI": "https://copier.example/",
    "COPIER_TELEGRAM_LOGIN_SECRET": "oidc-client-secret",
    "COPIER_FLEET_POOL": POOL,
    **PUSH,
}
API_HASH = "0123456789abcdef0123456789abcdef"


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
        "COPIER_TELEGRAM_API_ID_SECRET",
        "COPIER_TELEGRAM_API_HASH_SECRET",
        "COPIER_TELEGRAM_CLIENT_ID",
        "COPIER_TELEGRAM_REDIRECT_URI",
        "COPIER_TELEGRAM_LOGIN_SECRET",
        "COPIER_FLEET_POOL",
    ):
        assert name in message


def test_the_fleet_is_configured_here_with_the_timing_tables_defaults() -> None:
    assert (Settings().fleet_shards, Settings().fleet_capacity) == (1024, 1000)

    settings = Settings.from_env(
        {**CLOUD, "COPIER_FLEET_SHARDS": "64", "COPIER_FLEET_CAPACITY": "2500"}
    )

    assert (settings.fleet_shards, settings.fleet_capacity, settings.fleet_pool) == (64, 2500, POOL)


def test_the_emulators_size_the_fleet_locally_and_need_no_pool() -> None:
    environ = {
        "COPIER_MODE": "emulators",
        "GOOGLE_CLOUD_PROJECT": "demo-x",
        "COPIER_PUSH_AUTH": "off",
    }

    settings = Settings.from_env(environ)

    assert (settings.scaler, settings.auth, settings.fleet_pool) == ("local", "local", "")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("COPIER_FLEET_SHARDS", "0"),
        ("COPIER_FLEET_SHARDS", "²"),  # a digit to str.isdigit, not to int()
        ("COPIER_FLEET_CAPACITY", "many"),
        ("COPIER_FLEET_CAPACITY", "١٠٠٠"),  # Arabic-Indic digits: not what a deployment means
        ("COPIER_FLEET_POOL", "copier-listeners"),
        ("COPIER_TELEGRAM_CLIENT_ID", "@copier_login_bot"),
        ("COPIER_TELEGRAM_REDIRECT_URI", "copier.example/"),
        ("COPIER_TRUSTED_PROXIES", "-1"),
        ("COPIER_TELEGRAM_API_HASH_SECRET", ""),  # one of the pair named without the other
    ],
)
def test_a_bad_fleet_or_login_setting_is_refused_naming_it(name: str, value: str) -> None:
    with pytest.raises(InvalidSettings, match=name):
        Settings.from_env({**CLOUD, name: value})


def test_the_telegram_app_given_as_values_is_read_here_and_never_shown() -> None:
    app = telegram_app({"COPIER_TELEGRAM_API_ID": "123456", "COPIER_TELEGRAM_API_HASH": API_HASH})

    assert (app.api_id, app.api_hash) == (123456, API_HASH)
    assert API_HASH not in repr(app)


@pytest.mark.parametrize(
    "environ",
    [
        {},
        {"COPIER_TELEGRAM_API_ID": "123456"},
        {"COPIER_TELEGRAM_API_ID": "abc", "COPIER_TELEGRAM_API_HASH": API_HASH},
        {"COPIER_TELEGRAM_API_ID": "123456", "COPIER_TELEGRAM_API_HASH": "not-a-hash"},
    ],
)
def test_a_missing_or_bad_telegram_app_names_both_variables(environ: dict[str, str]) -> None:
    with pytest.raises(
        InvalidSettings, match="COPIER_TELEGRAM_API_ID and COPIER_TELEGRAM_API_HASH"
    ):
        telegram_app(environ)


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
        # firebase_admin accepts unsigned ID tokens while this is set
        ({"FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9"}, "FIREBASE_AUTH_EMULATOR_HOST"),
        ({"COPIER_TELEGRAM_REDIRECT_URI": "http://copier.example/"}, "must be https"),
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
        ("COPIER_POLL_PAGE", "1001"),
        ("COPIER_POLL_BUDGET_S", "50"),
        ("COPIER_POLL_EXPIRY_S", "-1"),
        ("COPIER_DEAL_MARGIN_S", "a minute"),
        ("COPIER_UNRECORDED_WAIT_S", "0"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(InvalidSettings, match=name):
        Settings.from_env({name: value})


def test_every_value_of_the_timing_table_is_a_setting() -> None:
    environ = {
        "COPIER_POLL_PAGE": "200",
        "COPIER_POLL_BUDGET_S": "20",
        "COPIER_POLL_EXPIRY_S": "90",
        "COPIER_DEAL_MARGIN_S": "15",
        "COPIER_UNRECORDED_WAIT_S": "300",
    }

    got = timing(Settings.from_env(environ))

    assert (got.poll_page, got.poll_budget, got.poll_expiry) == (
        200,
        timedelta(seconds=20),
        timedelta(seconds=90),
    )
    assert (got.deal_margin, got.unrecorded_wait) == (timedelta(seconds=15), timedelta(minutes=5))
    assert timing(Settings.from_env({})) == Timing()  # the defaults are the table's


def test_settings_never_hold_a_secret_only_where_it_lives() -> None:
    environ = {
        **CLOUD,
        "COPIER_METAAPI_TOKEN": "tok-123456",
        "TELEGRAM_API_HASH": "hash-abcdef",
        "COPIER_TELEGRAM_API_HASH": "fedcba9876543210fedcba9876543210",
        "COPIER_DATA_KEY": "key-material",
    }

    settings = Settings.from_env(environ)

    values = [str(getattr(settings, f.name)) for f in dataclasses.fields(settings)]
    secrets = {"tok-123456", "hash-abcdef", "key-material", "fedcba9876543210fedcba9876543210"}
    assert not secrets & set(values)
    assert settings.data_key_secret == "data-keys"  # the secret's name, not its value
    assert settings.telegram_api_hash_secret == "tg-api-hash"
