"""Telegram sign-in for the API: OpenID Connect with server-kept state, or the legacy widget.

The state, nonce and PKCE verifier of each attempt live in a server-only one-time document
(TTL 10 min): a replayed callback finds nothing and is refused.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from signal_copier.auth.oidc import TelegramOidc, telegram_id
from signal_copier.auth.widget import CLOCK_SKEW, verify_widget
from signal_copier.core.dashboard import NotAuthenticated
from signal_copier.core.errors import CopierError, Retryable
from signal_copier.core.ports import WebStore

_log = logging.getLogger(__name__)
LOGIN_TTL = timedelta(minutes=10)
# The login bot's current (OIDC client secret, bot token); the token is "" when the widget is off.
LoginSecrets = Callable[[], Awaitable[tuple[str, str]]]


class TelegramSignIn:
    """Start and finish Telegram logins; each returns the verified Telegram user id."""

    def __init__(
        self,
        oidc: TelegramOidc,
        web: WebStore,
        *,
        bot_token: str = "",
        widget_max_age: timedelta = timedelta(minutes=10),
        secrets: LoginSecrets | None = None,
    ) -> None:
        """Sign in with `oidc` and `bot_token`; with `secrets`, with what it returns at each login
        (a rotated client secret or bot token is used, and the old one refused, from then on)."""
        self._oidc, self._web = oidc, web
        self._bot_token, self._widget_max_age = bot_token, widget_max_age
        self._secrets = secrets

    async def start(self, now: datetime) -> dict[str, str]:
        """Return the authorization URL; keep the state's nonce and verifier server-side."""
        challenge = self._oidc.challenge()
        kept = {"nonce": challenge.nonce, "verifier": challenge.verifier}
        await self._web.put_nonce(f"oidc:{challenge.state}", kept, now + LOGIN_TTL)
        return {"url": challenge.url, "state": challenge.state}

    async def callback(self, code: str, state: str, now: datetime) -> int:
        """Consume the state, exchange the code with its verifier, verify the ID token."""
        kept = await self._web.take_nonce(f"oidc:{state}", now)
        if kept is None:
            raise NotAuthenticated("telegram login: unknown, used or expired state; log in again")
        await self._current()
        id_token = await self._oidc.exchange(code, kept["verifier"])
        claims = await self._oidc.verify(id_token, kept["nonce"])
        return telegram_id(claims)

    async def widget(self, query: str, now: datetime) -> int:
        """Return the Telegram id of a legacy widget payload whose hash and age check out.

        Each payload signs in once: it passes through the browser (a redirect puts it in the
        URL), and whoever sees it later must not get a session with it.
        """
        await self._current()
        if not self._bot_token:
            raise NotAuthenticated("telegram widget login is not enabled")
        fields = verify_widget(query, self._bot_token, now, self._widget_max_age)
        # Used until no clock could still take it for fresh (its age is checked above).
        until = now + self._widget_max_age + CLOCK_SKEW
        if not await self._web.use_once(f"widget:{fields['hash']}", now, until):
            raise NotAuthenticated("telegram widget: this login was already used; log in again")
        return int(fields["id"])

    async def _current(self) -> None:
        if self._secrets is None:
            return
        try:
            client_secret, self._bot_token = await self._secrets()
        except CopierError as e:  # deleted or disabled: nobody signs in with the old values
            _log.error("telegram login: the login bot's secrets cannot be read: %s", e)
            raise LoginUnavailable("telegram login is unavailable; try again later") from e
        self._oidc.use_client_secret(client_secret)


class LoginUnavailable(Retryable):
    """The login bot's secrets cannot be read now: no Telegram login until they can."""
