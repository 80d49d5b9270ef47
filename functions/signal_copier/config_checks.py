"""What makes settings unusable: malformed values, missing names, what production refuses."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from signal_copier.config import Settings

_EMULATOR_HOSTS = ("FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "FIREBASE_AUTH_EMULATOR_HOST")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_POOL = re.compile(r"^projects/[^/]+/locations/[^/]+/workerPools/[^/]+$")


def problems(settings: Settings, environ: Mapping[str, str], local: Mapping[str, str]) -> list[str]:
    """Return every problem of the settings, each naming its variable (empty: usable).

    `local` maps each port to its local adapter, which production refuses.
    """
    return [
        *_malformed(settings),
        *_missing(settings),
        *_production_refusals(settings, environ, local),
        *_timing(settings),
    ]


def _timing(settings: Settings) -> list[str]:
    # The sweep function runs for at most 50 s (its Cloud Functions timeout is 60 s).
    if settings.poll_budget_s >= 50:
        return ["COPIER_POLL_BUDGET_S: must be below 50 s, the sweep function's own budget"]
    return []


_REQUIRED_FOR = {
    "COPIER_PROJECT": "required for Google services (GOOGLE_CLOUD_PROJECT also works)",
    "COPIER_DATA_KEY_SECRET": "the Secret Manager secret of the data keys",
    "COPIER_PUSH_AUDIENCE": "push token audience (or COPIER_PUSH_AUTH=off)",
    "COPIER_PUSH_SERVICE_ACCOUNT": "who signs push tokens (or COPIER_PUSH_AUTH=off)",
    "COPIER_TELEGRAM_API_ID_SECRET": "the secret of the Telegram app's api_id",
    "COPIER_TELEGRAM_API_HASH_SECRET": "the secret of the Telegram app's api_hash",
    "COPIER_TELEGRAM_CLIENT_ID": "the login bot's OIDC client id (Log In With Telegram)",
    "COPIER_TELEGRAM_REDIRECT_URI": "the dashboard's URL, where Telegram sends users back",
    "COPIER_TELEGRAM_LOGIN_SECRET": "the secret of the login bot's OIDC client secret",
    "COPIER_FLEET_POOL": "the listeners' worker pool the sweep sizes",
}


def _missing(settings: Settings) -> list[str]:
    if settings.mode == "local":
        return []  # safe defaults: nothing is required
    s, cloud, push = settings, settings.mode == "cloud", settings.push_auth
    telegram, login = s.source == "telegram" and cloud, s.auth == "firebase"
    rows = [
        (s.uses_google, "COPIER_PROJECT", s.project),
        (s.vault == "envelope" and cloud, "COPIER_DATA_KEY_SECRET", s.data_key_secret),
        (push, "COPIER_PUSH_AUDIENCE", s.push_audience),
        (push, "COPIER_PUSH_SERVICE_ACCOUNT", s.push_service_account),
        (telegram, "COPIER_TELEGRAM_API_ID_SECRET", s.telegram_api_id_secret),
        (telegram, "COPIER_TELEGRAM_API_HASH_SECRET", s.telegram_api_hash_secret),
        (login, "COPIER_TELEGRAM_CLIENT_ID", s.telegram_client_id),
        (login, "COPIER_TELEGRAM_REDIRECT_URI", s.telegram_redirect_uri),
        (login, "COPIER_TELEGRAM_LOGIN_SECRET", s.telegram_login_secret),
        (s.scaler == "cloudrun", "COPIER_FLEET_POOL", s.fleet_pool),
    ]
    return [
        f"{name}: {_REQUIRED_FOR[name]}" for needed, name, value in rows if needed and not value
    ]


def _malformed(settings: Settings) -> list[str]:
    problems = []
    if settings.telegram_client_id and not _CLIENT_ID.match(settings.telegram_client_id):
        problems.append("COPIER_TELEGRAM_CLIENT_ID: the login bot's OIDC client id (@BotFather)")
    uri = urlsplit(settings.telegram_redirect_uri)
    if settings.telegram_redirect_uri and (uri.scheme not in ("https", "http") or not uri.netloc):
        problems.append("COPIER_TELEGRAM_REDIRECT_URI: an absolute http(s) URL")
    if bool(settings.telegram_api_id_secret) != bool(settings.telegram_api_hash_secret):
        problems.append(
            "COPIER_TELEGRAM_API_ID_SECRET, COPIER_TELEGRAM_API_HASH_SECRET: name both or neither"
        )
    if settings.fleet_pool and not _POOL.match(settings.fleet_pool):
        problems.append("COPIER_FLEET_POOL: projects/P/locations/L/workerPools/NAME")
    return problems


def _production_refusals(
    settings: Settings, environ: Mapping[str, str], local: Mapping[str, str]
) -> list[str]:
    if settings.env != "production":
        return []
    refused = [
        f"COPIER_{port.upper()}={adapter}: a local adapter, refused in production"
        for port, adapter in local.items()
        if getattr(settings, port) == adapter
    ]
    if not settings.push_auth:
        refused.append("COPIER_PUSH_AUTH=off: push endpoints must check tokens in production")
    if settings.secret_manager_endpoint:
        refused.append("COPIER_SECRET_MANAGER_ENDPOINT: a stand-in endpoint, refused in production")
    if urlsplit(settings.telegram_redirect_uri).scheme == "http":
        refused.append("COPIER_TELEGRAM_REDIRECT_URI: must be https in production")
    refused += [
        f"{name}: an emulator, refused in production"
        for name in _EMULATOR_HOSTS
        if environ.get(name)
    ]
    return refused
