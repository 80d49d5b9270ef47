"""The deployment's own secrets (not users'): the Telegram app's credentials, the login bot's.

Read from Secret Manager by the names the settings hold (the cloud); locally the Telegram app's
credentials may be given as values instead. The Telegram app's credentials are read once per
instance (a change reaches it when it restarts). The login bot's secrets are read again once
`key_cache_ttl_s` has passed (`SecretTexts`): a bot token or client secret rotated because it
leaked stops signing anyone in within that time, on instances that may run for days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from signal_copier import config
from signal_copier.config import Settings, TelegramApp
from signal_copier.core.errors import InvalidSettings
from signal_copier.vault.ttl import TtlCache


async def read_secrets(settings: Settings, names: Sequence[str]) -> list[str]:
    """Return the newest value of each named secret, in order (SecretUnreadable if one has none)."""
    from signal_copier.vault.secret_manager import client_for, read_texts, secret_path

    try:
        paths = [secret_path(settings.project, name) for name in names]
    except ValueError as e:
        raise InvalidSettings(f"a secret's name: {e}") from e
    return await read_texts(paths, partial(client_for, settings.secret_manager_endpoint))


async def telegram_app(settings: Settings, environ: Mapping[str, str]) -> TelegramApp:
    """Return the Telegram app's credentials: from Secret Manager when their secrets are named,
    else from the environment's values (local use)."""
    names = [settings.telegram_api_id_secret, settings.telegram_api_hash_secret]
    if not any(names):
        return config.telegram_app(environ)
    if not all(names):
        raise InvalidSettings("name both secrets of the Telegram app (its api_id and api_hash)")
    api_id, api_hash = await read_secrets(settings, names)
    return TelegramApp.parse(api_id, api_hash, f"the secrets {names[0]} and {names[1]}")


class SecretTexts:
    """Named deployment secrets, read again from Secret Manager once `ttl` seconds have passed."""

    def __init__(self, settings: Settings, names: Sequence[str], *, ttl: float) -> None:
        self._settings, self._names = settings, list(names)
        self._read: TtlCache[str, list[str]] = TtlCache(ttl=ttl, size=1)

    async def values(self) -> list[str]:
        """Return each named secret's newest value, in order (read again when `ttl` passed)."""
        found = self._read.get("values")
        if found is None:
            found = await read_secrets(self._settings, self._names)
            self._read.put("values", found)
        return list(found)
