"""Configuration from the environment: every variable is named here, under COPIER_.

`COPIER_MODE=local|cloud|emulators` presets one adapter per port; `COPIER_STORE`, `COPIER_QUEUE`,
`COPIER_VAULT`, `COPIER_BROKER` and `COPIER_SOURCE` override a port each. Secrets are never
settings: only where they live (the Secret Manager secret holding the data keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from signal_copier.core.errors import InvalidSettings

MODES = ("local", "cloud", "emulators")
ENVIRONMENTS = ("development", "production")
CHOICES: dict[str, tuple[str, ...]] = {
    "store": ("sqlite", "firestore"),
    "queue": ("inprocess", "pubsub"),
    "vault": ("local", "envelope"),
    "broker": ("paper", "metaapi"),
    "source": ("replay", "telegram"),
}
PRESETS: dict[str, dict[str, str]] = {
    "local": {
        "store": "sqlite",
        "queue": "inprocess",
        "vault": "local",
        "broker": "paper",
        "source": "replay",
    },
    # Google's emulators for Firestore and Pub/Sub; MetaAPI and Telegram cannot be reached.
    "emulators": {
        "store": "firestore",
        "queue": "pubsub",
        "vault": "envelope",
        "broker": "paper",
        "source": "replay",
    },
    "cloud": {
        "store": "firestore",
        "queue": "pubsub",
        "vault": "envelope",
        "broker": "metaapi",
        "source": "telegram",
    },
}
LOCAL_ADAPTERS = PRESETS["local"]  # what production refuses
GOOGLE_JWKS = "https://www.googleapis.com/oauth2/v3/certs"
_EMULATOR_HOSTS = ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST")
_SWITCH = {"on": True, "true": True, "1": True, "off": False, "false": False, "0": False}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
DEFAULT_LOG_LEVEL = (
    "WARNING"  # the one default (CLI and functions); a deployment wanting INFO says so
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Process settings (no secrets: only where secrets live)."""

    mode: str = "local"
    env: str = "development"
    store: str = "sqlite"
    queue: str = "inprocess"
    vault: str = "local"
    broker: str = "paper"
    source: str = "replay"
    data_dir: Path = Path("var")
    project: str = ""  # Google Cloud project id
    firestore_database: str = "(default)"
    worker: str = "local"
    log_level: str = DEFAULT_LOG_LEVEL
    # ARCHITECTURE.md's timing table (services.deps.Timing); defaults are the table's values.
    claim_lease_s: float = 60.0
    max_attempts: int = 8
    followup_bound_s: float = 120.0
    settle_window_s: float = 1800.0
    retry_grace_s: float = 60.0
    opening_hold_s: float = 120.0
    sweep_batch: int = 500
    publish_timeout_s: float = 10.0  # a Pub/Sub publish not confirmed by then is Retryable
    data_key_secret: str = ""  # Secret Manager secret holding the data keys (envelope vault)
    secret_manager_endpoint: str = ""  # a local Secret Manager stand-in (tests; never production)
    key_cache_ttl_s: float = 300.0  # data keys and decrypted secrets kept in memory this long
    push_auth: bool = True  # check Pub/Sub's OIDC token on push endpoints
    push_audience: str = ""  # audience prefix: each endpoint expects <prefix>/<entry point>
    push_service_account: str = ""  # the email Pub/Sub signs push tokens as
    push_jwks_url: str = GOOGLE_JWKS
    metaapi_region: str = ""  # connect only accounts in this MetaAPI region (empty: any)

    @property
    def database(self) -> Path:
        """Return the local SQLite file."""
        return self.data_dir / "copier.sqlite3"

    @property
    def vault_key(self) -> Path:
        """Return the local vault's key file."""
        return self.data_dir / "vault.key"

    @property
    def vault_dir(self) -> Path:
        """Return the folder of the local vault's encrypted secrets."""
        return self.data_dir / "secrets"

    @property
    def data_key_file(self) -> Path:
        """Return the envelope vault's local data key (emulators and development only)."""
        return self.data_dir / "data.key"

    @property
    def uses_google(self) -> bool:
        """Return True if any chosen adapter talks to a Google service."""
        return self.store == "firestore" or self.queue == "pubsub" or self.vault == "envelope"

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from COPIER_* variables; fail fast naming every missing or bad one."""
        mode = _one_of(environ, "COPIER_MODE", MODES, "local")
        env = _one_of(environ, "COPIER_ENV", ENVIRONMENTS, "development")
        ports = {
            port: _one_of(environ, f"COPIER_{port.upper()}", options, PRESETS[mode][port])
            for port, options in CHOICES.items()
        }
        settings = cls(
            mode=mode,
            env=env,
            **ports,
            data_dir=Path(environ.get("COPIER_DATA_DIR", "var")),
            project=environ.get("COPIER_PROJECT", environ.get("GOOGLE_CLOUD_PROJECT", "")),
            firestore_database=environ.get("COPIER_FIRESTORE_DATABASE", "(default)"),
            worker=environ.get("COPIER_WORKER", "local"),
            log_level=log_level(environ),
            claim_lease_s=_seconds(environ, "COPIER_CLAIM_LEASE_S", 60.0),
            max_attempts=_count(environ, "COPIER_MAX_ATTEMPTS", 8),
            followup_bound_s=_seconds(environ, "COPIER_FOLLOWUP_BOUND_S", 120.0),
            settle_window_s=_seconds(environ, "COPIER_SETTLE_WINDOW_S", 1800.0),
            retry_grace_s=_seconds(environ, "COPIER_RETRY_GRACE_S", 60.0),
            opening_hold_s=_seconds(environ, "COPIER_OPENING_HOLD_S", 120.0),
            sweep_batch=_count(environ, "COPIER_SWEEP_BATCH", 500),
            publish_timeout_s=_seconds(environ, "COPIER_PUBLISH_TIMEOUT_S", 10.0),
            data_key_secret=environ.get("COPIER_DATA_KEY_SECRET", ""),
            secret_manager_endpoint=environ.get("COPIER_SECRET_MANAGER_ENDPOINT", ""),
            key_cache_ttl_s=_seconds(environ, "COPIER_KEY_CACHE_TTL_S", 300.0),
            push_auth=_switch(environ, "COPIER_PUSH_AUTH", default=True),
            push_audience=environ.get("COPIER_PUSH_AUDIENCE", "").rstrip("/"),
            push_service_account=environ.get("COPIER_PUSH_SERVICE_ACCOUNT", ""),
            push_jwks_url=environ.get("COPIER_PUSH_JWKS_URL", GOOGLE_JWKS),
            metaapi_region=environ.get("COPIER_METAAPI_REGION", ""),
        )
        problems = _missing(settings) + _production_refusals(settings, environ)
        if problems:
            raise InvalidSettings("; ".join(problems))
        return settings


def log_level(environ: Mapping[str, str]) -> str:
    """Return COPIER_LOG_LEVEL (default WARNING); InvalidSettings for an unknown level."""
    level = environ.get("COPIER_LOG_LEVEL", DEFAULT_LOG_LEVEL).strip().upper()
    if level not in LOG_LEVELS:
        raise InvalidSettings(f"COPIER_LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}")
    return level


def _missing(settings: Settings) -> list[str]:
    if settings.mode == "local":
        return []  # safe defaults: nothing is required
    missing = []
    if settings.uses_google and not settings.project:
        missing.append("COPIER_PROJECT (or GOOGLE_CLOUD_PROJECT): required for Google services")
    if settings.vault == "envelope" and settings.mode == "cloud" and not settings.data_key_secret:
        missing.append("COPIER_DATA_KEY_SECRET: the Secret Manager secret of the data keys")
    if settings.push_auth and not settings.push_audience:
        missing.append("COPIER_PUSH_AUDIENCE: push token audience (or COPIER_PUSH_AUTH=off)")
    if settings.push_auth and not settings.push_service_account:
        missing.append(
            "COPIER_PUSH_SERVICE_ACCOUNT: who signs push tokens (or COPIER_PUSH_AUTH=off)"
        )
    return missing


def _production_refusals(settings: Settings, environ: Mapping[str, str]) -> list[str]:
    if settings.env != "production":
        return []
    refused = [
        f"COPIER_{port.upper()}={local}: a local adapter, refused in production"
        for port, local in LOCAL_ADAPTERS.items()
        if getattr(settings, port) == local
    ]
    if not settings.push_auth:
        refused.append("COPIER_PUSH_AUTH=off: push endpoints must check tokens in production")
    if settings.secret_manager_endpoint:
        refused.append("COPIER_SECRET_MANAGER_ENDPOINT: a stand-in endpoint, refused in production")
    refused += [
        f"{name}: an emulator, refused in production"
        for name in _EMULATOR_HOSTS
        if environ.get(name)
    ]
    return refused


def _one_of(environ: Mapping[str, str], name: str, options: tuple[str, ...], default: str) -> str:
    value = environ.get(name, default)
    if value not in options:
        raise InvalidSettings(f"{name}: must be one of {', '.join(options)}, not {value!r}")
    return value


def _switch(environ: Mapping[str, str], name: str, *, default: bool) -> bool:
    value = environ.get(name)
    if value is None:
        return default
    if value.lower() not in _SWITCH:
        raise InvalidSettings(f"{name}: must be on or off, not {value!r}")
    return _SWITCH[value.lower()]


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    value = environ.get(name)
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 86_400:
        raise InvalidSettings(f"{name}: must be a number of seconds above 0, not {value!r}")
    return seconds


def _count(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name)
    if value is None:
        return default
    if not value.isdigit() or not 0 < int(value) <= 100_000:
        raise InvalidSettings(f"{name}: must be a whole number from 1 to 100000, not {value!r}")
    return int(value)
