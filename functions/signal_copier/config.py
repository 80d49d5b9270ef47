"""Configuration from the environment: every variable is named here, under COPIER_.

`COPIER_MODE=local|cloud|emulators` presets one adapter per port; `COPIER_STORE`, `COPIER_QUEUE`,
`COPIER_VAULT`, `COPIER_BROKER`, `COPIER_SOURCE`, `COPIER_AUTH` and `COPIER_SCALER` override a
port each. Secrets are never settings: only where they live (the Secret Manager secrets holding
the data keys, the Telegram app's credentials, the login bot's token and OIDC client secret).
Locally the Telegram app's credentials may be given as values instead (`telegram_app`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from signal_copier.config_checks import problems
from signal_copier.core.errors import InvalidSettings
from signal_copier.envparse import count, one_of, seconds, switch

MODES = ("local", "cloud", "emulators")
ENVIRONMENTS = ("development", "production")
CHOICES: dict[str, tuple[str, ...]] = {
    "store": ("sqlite", "firestore"),
    "queue": ("inprocess", "pubsub"),
    "vault": ("local", "envelope"),
    "broker": ("paper", "metaapi"),
    "source": ("replay", "telegram"),
    "auth": ("local", "firebase"),  # who signs the dashboard's users in
    "scaler": ("local", "cloudrun"),  # who sets the listener fleet's size
}
# One adapter per port, in CHOICES' order: store, queue, vault, broker, source, auth, scaler.
_PRESET_ROWS = {
    "local": ("sqlite", "inprocess", "local", "paper", "replay", "local", "local"),
    # Google's emulators for Firestore and Pub/Sub; MetaAPI and Telegram cannot be reached.
    "emulators": ("firestore", "pubsub", "envelope", "paper", "replay", "local", "local"),
    "cloud": ("firestore", "pubsub", "envelope", "metaapi", "telegram", "firebase", "cloudrun"),
}
PRESETS = {mode: dict(zip(CHOICES, row, strict=True)) for mode, row in _PRESET_ROWS.items()}
LOCAL_ADAPTERS = PRESETS["local"]  # what production refuses
GOOGLE_JWKS = "https://www.googleapis.com/oauth2/v3/certs"
# With FIREBASE_AUTH_EMULATOR_HOST set, firebase_admin accepts unsigned ID tokens.
_APP_ID = re.compile(r"^[1-9][0-9]{0,19}$")  # the Telegram app's api_id
_API_HASH = re.compile(r"^[0-9a-f]{32}$")
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
    auth: str = "local"
    scaler: str = "local"
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
    entry_watch_s: float = 60.0  # a waiting entry of a call to trade now is checked this often
    entry_watch_for_s: float = 14400.0  # … for this long after it was placed
    sweep_batch: int = 500
    poll_page: int = 1000  # watched accounts per poll publish (Pub/Sub takes 1,000 at most)
    poll_budget_s: float = 30.0  # the sweep's polling step stops publishing after this long
    poll_expiry_s: float = 120.0  # a poll this long past its minute is dropped (newer ones exist)
    deal_margin_s: float = 60.0  # deals are re-read this far back (clock skew)
    unrecorded_wait_s: float = 600.0  # a broker event waits this long for its trade's record
    publish_timeout_s: float = 10.0  # a Pub/Sub publish not confirmed by then is Retryable
    data_key_secret: str = ""  # Secret Manager secret holding the data keys (envelope vault)
    secret_manager_endpoint: str = ""  # a local Secret Manager stand-in (tests; never production)
    key_cache_ttl_s: float = 300.0  # data keys and decrypted secrets kept in memory this long
    push_auth: bool = True  # check Pub/Sub's OIDC token on push endpoints
    push_audience: str = ""  # audience prefix: each endpoint expects <prefix>/<entry point>
    push_service_account: str = ""  # the email Pub/Sub signs push tokens as
    push_jwks_url: str = GOOGLE_JWKS
    metaapi_region: str = ""  # connect only accounts in this MetaAPI region (empty: any)
    # Log In With Telegram (auth=firebase): the login bot and the secrets it signs in with.
    telegram_client_id: str = ""  # the login bot's id, its OpenID Connect client id
    telegram_redirect_uri: str = ""  # where Telegram sends the browser back: the dashboard
    telegram_login_secret: str = ""  # secret holding the bot's OIDC client secret
    telegram_bot_token_secret: str = ""  # secret holding the bot token (legacy widget; "": off)
    # Secrets holding the Telegram app's api_id and api_hash (linking and running sessions).
    telegram_api_id_secret: str = ""
    telegram_api_hash_secret: str = ""
    trusted_proxies: int = 0  # proxies in front of the api whose X-Forwarded-For entry counts
    # The listener fleet: lease shards (the api records each linked session's), sessions per
    # listener, and the worker pool the sweep sizes (scaler=cloudrun).
    fleet_shards: int = 1024
    fleet_capacity: int = 1000
    fleet_pool: str = ""  # projects/P/locations/L/workerPools/NAME

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
        return (
            self.store == "firestore"
            or self.queue == "pubsub"
            or self.vault == "envelope"
            or self.auth == "firebase"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from COPIER_* variables; fail fast naming every missing or bad one."""
        mode = one_of(environ, "COPIER_MODE", MODES, "local")
        env = one_of(environ, "COPIER_ENV", ENVIRONMENTS, "development")
        ports = {
            port: one_of(environ, f"COPIER_{port.upper()}", options, PRESETS[mode][port])
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
            claim_lease_s=seconds(environ, "COPIER_CLAIM_LEASE_S", 60.0),
            max_attempts=count(environ, "COPIER_MAX_ATTEMPTS", 8),
            followup_bound_s=seconds(environ, "COPIER_FOLLOWUP_BOUND_S", 120.0),
            settle_window_s=seconds(environ, "COPIER_SETTLE_WINDOW_S", 1800.0),
            retry_grace_s=seconds(environ, "COPIER_RETRY_GRACE_S", 60.0),
            opening_hold_s=seconds(environ, "COPIER_OPENING_HOLD_S", 120.0),
            entry_watch_s=seconds(environ, "COPIER_ENTRY_WATCH_S", 60.0),
            entry_watch_for_s=seconds(environ, "COPIER_ENTRY_WATCH_FOR_S", 14400.0),
            sweep_batch=count(environ, "COPIER_SWEEP_BATCH", 500),
            poll_page=count(environ, "COPIER_POLL_PAGE", 1000, maximum=1000),
            poll_budget_s=seconds(environ, "COPIER_POLL_BUDGET_S", 30.0),
            poll_expiry_s=seconds(environ, "COPIER_POLL_EXPIRY_S", 120.0),
            deal_margin_s=seconds(environ, "COPIER_DEAL_MARGIN_S", 60.0),
            unrecorded_wait_s=seconds(environ, "COPIER_UNRECORDED_WAIT_S", 600.0),
            publish_timeout_s=seconds(environ, "COPIER_PUBLISH_TIMEOUT_S", 10.0),
            data_key_secret=environ.get("COPIER_DATA_KEY_SECRET", ""),
            secret_manager_endpoint=environ.get("COPIER_SECRET_MANAGER_ENDPOINT", ""),
            key_cache_ttl_s=seconds(environ, "COPIER_KEY_CACHE_TTL_S", 300.0),
            push_auth=switch(environ, "COPIER_PUSH_AUTH", default=True),
            push_audience=environ.get("COPIER_PUSH_AUDIENCE", "").rstrip("/"),
            push_service_account=environ.get("COPIER_PUSH_SERVICE_ACCOUNT", ""),
            push_jwks_url=environ.get("COPIER_PUSH_JWKS_URL", GOOGLE_JWKS),
            metaapi_region=environ.get("COPIER_METAAPI_REGION", ""),
            telegram_client_id=environ.get("COPIER_TELEGRAM_CLIENT_ID", ""),
            telegram_redirect_uri=environ.get("COPIER_TELEGRAM_REDIRECT_URI", ""),
            telegram_login_secret=environ.get("COPIER_TELEGRAM_LOGIN_SECRET", ""),
            telegram_bot_token_secret=environ.get("COPIER_TELEGRAM_BOT_TOKEN_SECRET", ""),
            telegram_api_id_secret=environ.get("COPIER_TELEGRAM_API_ID_SECRET", ""),
            telegram_api_hash_secret=environ.get("COPIER_TELEGRAM_API_HASH_SECRET", ""),
            trusted_proxies=count(environ, "COPIER_TRUSTED_PROXIES", 0, minimum=0, maximum=10),
            fleet_shards=count(environ, "COPIER_FLEET_SHARDS", 1024),
            fleet_capacity=count(environ, "COPIER_FLEET_CAPACITY", 1000),
            fleet_pool=environ.get("COPIER_FLEET_POOL", ""),
        )
        found = problems(settings, environ, LOCAL_ADAPTERS)
        if found:
            raise InvalidSettings("; ".join(found))
        return settings


def log_level(environ: Mapping[str, str]) -> str:
    """Return COPIER_LOG_LEVEL (default WARNING); InvalidSettings for an unknown level."""
    level = environ.get("COPIER_LOG_LEVEL", DEFAULT_LOG_LEVEL).strip().upper()
    if level not in LOG_LEVELS:
        raise InvalidSettings(f"COPIER_LOG_LEVEL: must be one of {', '.join(LOG_LEVELS)}")
    return level


@dataclass(frozen=True, slots=True)
class TelegramApp:
    """The Telegram app's credentials from my.telegram.org (the hash never shows in a repr)."""

    api_id: int
    api_hash: str = field(repr=False)

    @classmethod
    def parse(cls, api_id: str, api_hash: str, where: str) -> TelegramApp:
        """Return the credentials if both are well formed; InvalidSettings naming `where`."""
        api_id, api_hash = api_id.strip(), api_hash.strip()
        if not _APP_ID.match(api_id) or not _API_HASH.match(api_hash):
            raise InvalidSettings(
                f"{where}: the api_id (a number) and api_hash (32 hex digits) of your app from "
                "https://my.telegram.org"
            )
        return cls(api_id=int(api_id), api_hash=api_hash)


def telegram_app(environ: Mapping[str, str]) -> TelegramApp:
    """Return the Telegram app's credentials given as values (local use; never in Settings)."""
    return TelegramApp.parse(
        environ.get("COPIER_TELEGRAM_API_ID", ""),
        environ.get("COPIER_TELEGRAM_API_HASH", ""),
        "COPIER_TELEGRAM_API_ID and COPIER_TELEGRAM_API_HASH",
    )
