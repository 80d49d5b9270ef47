"""Cloud mode's settings for the api in tests: the emulators, a Secret Manager stand-in holding
every secret Terraform declares, and firebase_admin in its emulator mode (unsigned tokens)."""

from __future__ import annotations

from pathlib import Path

from fakes.cloudrun import POOL
from oidc_server import CLIENT_ID
from secret_manager_stub import SecretManagerStub

__all__ = ["API_HASH", "BOT_TOKEN", "CLIENT_ID", "REDIRECT", "cloud_environ"]
BOT_TOKEN = "7000000001:AAH-login-bot-token-for-tests"
API_HASH = "0123456789abcdef0123456789abcdef"
REDIRECT = "https://copier.example/"


def cloud_environ(project: str, stub: SecretManagerStub, data_dir: Path) -> dict[str, str]:
    """Return cloud mode's settings (development: the emulators and stand-ins are allowed)."""
    values = {
        "copier-data-keys": bytes(range(32)),
        "copier-telegram-api-id": b"123456",
        "copier-telegram-api-hash": API_HASH.encode(),
        "copier-oidc-client-secret": b"oidc-client-secret",
        "copier-telegram-bot-token": BOT_TOKEN.encode() + b"\n",  # as `echo` stores it
    }
    for name, value in values.items():
        stub.secrets[f"projects/{project}/secrets/{name}"] = [value]
    return {
        "COPIER_MODE": "cloud",
        "COPIER_PROJECT": project,
        "COPIER_DATA_DIR": str(data_dir),
        "COPIER_PUSH_AUTH": "off",
        "COPIER_SECRET_MANAGER_ENDPOINT": stub.endpoint,
        "COPIER_DATA_KEY_SECRET": "copier-data-keys",
        "COPIER_TELEGRAM_API_ID_SECRET": "copier-telegram-api-id",
        "COPIER_TELEGRAM_API_HASH_SECRET": "copier-telegram-api-hash",
        "COPIER_TELEGRAM_CLIENT_ID": CLIENT_ID,
        "COPIER_TELEGRAM_REDIRECT_URI": REDIRECT,
        "COPIER_TELEGRAM_LOGIN_SECRET": "copier-oidc-client-secret",
        "COPIER_TELEGRAM_BOT_TOKEN_SECRET": "copier-telegram-bot-token",
        "COPIER_FLEET_POOL": POOL,
        "FIREBASE_AUTH_EMULATOR_HOST": "127.0.0.1:9",  # unsigned tokens; nothing listens there
    }
