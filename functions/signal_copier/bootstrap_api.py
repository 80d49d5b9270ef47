"""The dashboard API's part of the composition root: `ApiPorts` for the `api` function.

Built on the process's runtime (bootstrap.build), inside the serving loop (it reads secrets):

- the dashboard's store beside the pipeline's: SQLite serves both; on Firestore,
  FirestoreWebStore shares the store's client;
- `COPIER_AUTH=firebase`: Firebase ID tokens (revocation checked in production) and Log In With
  Telegram — OpenID Connect with the client secret, and the legacy widget with the bot token,
  both read from Secret Manager; `local`: LocalAuth with one-time login links (emulators);
- `COPIER_SOURCE=telegram`: TelethonLogin links Telegram accounts (the app's credentials from
  Secret Manager, or the environment locally); `replay`: the offline login (no Telegram).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from starlette.applications import Starlette

from signal_copier import app_secrets
from signal_copier.api import ApiPorts, Limits, SignIn, create_app
from signal_copier.bootstrap import Closer, Runtime, fleet_store
from signal_copier.config import Settings
from signal_copier.core.ports import Auth, FleetStore, TelegramLogin, WebStore
from signal_copier.deferred import StoreClient
from signal_copier.services.deps import Deps
from signal_copier.services.webdeps import WebDeps

if TYPE_CHECKING:
    import httpx

    from signal_copier.auth.local import LocalAuth

_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiRuntime:
    """The API app, the ports it was built from, and what to close with the process."""

    ports: ApiPorts
    app: Starlette
    local_links: LocalAuth | None = None  # COPIER_AUTH=local: issues one-time login links
    closers: tuple[Closer, ...] = ()

    async def aclose(self) -> None:
        """Close what the API opened (the runtime it was built on is closed on its own)."""
        await _close(self.closers)


async def _close(closers: Sequence[Closer]) -> None:
    for close in reversed(closers):
        try:
            await close()
        except Exception:  # one part failing to close must not keep the others open
            _log.exception("closing an API part failed")


async def build_api(
    runtime: Runtime,
    environ: Mapping[str, str],
    *,
    http: httpx.AsyncClient | None = None,
    trading_clock: Callable[[], datetime] | None = None,
) -> ApiRuntime:
    """Return the API for the runtime's settings.

    Args:
        runtime: the process's runtime (its settings and deps).
        environ: where the Telegram app's credentials are given as values (local use).
        http: the client Telegram's OpenID Connect calls go through (a new one by default).
        trading_clock: the time trading decisions use (the serving clock; wall time if None).
    """
    settings, closers = runtime.settings, list[Closer]()
    web = web_store(settings, runtime.deps)
    fleet = fleet_store(settings, runtime.deps.store)
    try:
        telegram = await telegram_login(settings, runtime.deps, environ, fleet)
        auth, sign_in, links = await _auth(settings, web, closers, http)
    except BaseException:  # a secret that cannot be read: the next request builds afresh
        await _close(closers)
        raise
    ports = ApiPorts(
        web=WebDeps(deps=runtime.deps, web=web, fleet=fleet, telegram=telegram),
        auth=auth,
        mode="cloud" if settings.auth == "firebase" else settings.mode,
        sign_in=sign_in,
        local_links=links,
        limits=Limits(trusted_proxies=settings.trusted_proxies),
        trading_clock=trading_clock,
    )
    return ApiRuntime(ports=ports, app=create_app(ports), local_links=links, closers=(*closers,))


def web_store(settings: Settings, deps: Deps) -> WebStore:
    """Return the dashboard's store beside the pipeline's."""
    if settings.store == "sqlite":
        return cast(WebStore, deps.store)  # SqliteStore serves both ports
    from signal_copier.store.firestore.web import FirestoreWebStore

    return FirestoreWebStore(cast(Any, StoreClient(deps.store)))


async def telegram_login(
    settings: Settings, deps: Deps, environ: Mapping[str, str], fleet: FleetStore
) -> TelegramLogin:
    """Return the Telegram login flow: Telethon for a live source, else the offline one."""
    if settings.source == "replay":
        from signal_copier.telegram.offline import OfflineTelegramLogin

        return OfflineTelegramLogin()
    from signal_copier.telegram.telethon import TelethonLogin

    app = await app_secrets.telegram_app(settings, environ)
    return TelethonLogin(deps.vault, fleet, app.api_id, app.api_hash, shards=settings.fleet_shards)


async def _auth(
    settings: Settings, web: WebStore, closers: list[Closer], http: httpx.AsyncClient | None
) -> tuple[Auth, SignIn | None, LocalAuth | None]:
    if settings.auth == "local":
        from signal_copier.auth.local import LocalAuth

        local = LocalAuth()
        return local, None, local
    from signal_copier.auth.firebase import FirebaseAuth

    firebase = FirebaseAuth.for_project(
        settings.project, check_revoked=settings.env == "production"
    )
    closers.append(firebase.aclose)
    return firebase, await _sign_in(settings, web, closers, http), None


async def _sign_in(
    settings: Settings, web: WebStore, closers: list[Closer], http: httpx.AsyncClient | None
) -> SignIn:
    import httpx

    from signal_copier.auth.oidc import OidcConfig, TelegramOidc
    from signal_copier.auth.telegram import TelegramSignIn

    wanted = [settings.telegram_login_secret]
    if settings.telegram_bot_token_secret:  # the legacy widget is optional
        wanted.append(settings.telegram_bot_token_secret)
    texts = app_secrets.SecretTexts(settings, wanted, ttl=settings.key_cache_ttl_s)

    async def login_secrets() -> tuple[str, str]:
        client_secret, *widget = await texts.values()
        return client_secret, widget[0] if widget else ""

    client_secret, bot_token = await login_secrets()  # unreadable: no API until it is
    config = OidcConfig(
        client_id=settings.telegram_client_id,
        client_secret=client_secret,
        redirect_uri=settings.telegram_redirect_uri,
    )
    if http is None:
        http = httpx.AsyncClient(timeout=10.0)
        closers.append(http.aclose)
    oidc = TelegramOidc(config, http)
    return TelegramSignIn(oidc, web, bot_token=bot_token, secrets=login_secrets)
