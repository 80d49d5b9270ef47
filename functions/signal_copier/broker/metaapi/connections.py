"""The MetaAPI broker: one MetaApi object per token, RPC connections cached per process.

A connection is cached under (user id, account id, token fingerprint) — never the token — so
changed credentials never reuse another token's connection and one user never gets, nor
closes, another user's (even for the same account and token); unused connections close after
`Limits.idle`; `disconnect(user_id, keep=...)` evicts a user's connections when their
credentials change or are removed, `aclose()` closes everything at shutdown.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from signal_copier.broker.metaapi.account import MetaApiAccount
from signal_copier.broker.metaapi.calls import Limits, guarded, unbounded
from signal_copier.broker.metaapi.errors import Drop, Subject
from signal_copier.core.errors import (
    BrokerRejected,
    BrokerUnavailable,
    CopierError,
    CredentialsMissing,
)
from signal_copier.core.market import Credentials
from signal_copier.core.ports import BrokerAccount
from signal_copier.core.reasons import Reason

log = logging.getLogger(__name__)
SdkFactory = Callable[[str, dict[str, Any]], Any]  # (token, opts) → a MetaApi
Key = tuple[str, str, str]  # (user id, account id, token fingerprint)

# MetaAPI account states (MetatraderAccount.state): only a deployed account can trade.
COMING_UP = frozenset({"DEPLOYING"})  # → BrokerUnavailable: retry once it is up


def sdk_metaapi(token: str, opts: dict[str, Any]) -> Any:
    """Return the SDK's MetaApi object (needs the running event loop)."""
    from metaapi_cloud_sdk import MetaApi

    # Without this the SDK print()s its log lines to stdout, past our JSON logs and redaction;
    # it must come first: the SDK picks print or logging when its objects are made.
    MetaApi.enable_logging()
    return MetaApi(token, opts)


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Api:
    sdk: Any
    used: float


@dataclass(slots=True)
class _Entry:
    account: MetaApiAccount
    connection: Any
    fingerprint: str
    used: float
    synchronized: bool = False


class MetaApiBroker:
    """Broker port on metaapi-cloud-sdk (RPC connections; the adapter never resends a trade)."""

    def __init__(
        self,
        *,
        sdk: SdkFactory = sdk_metaapi,
        limits: Limits | None = None,
        region: str | None = None,
        now: Callable[[], datetime] = _utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sdk, self._limits, self._region = sdk, limits or Limits(), region
        self._now, self._clock = now, monotonic
        self._secret = secrets.token_bytes(32)  # fingerprints mean nothing outside this process
        self._apis: dict[str, _Api] = {}
        self._entries: dict[Key, _Entry] = {}
        self._locks: dict[Key, asyncio.Lock] = {}

    async def connect(self, user_id: str, credentials: Credentials) -> BrokerAccount:
        """Return the user's cached connection to the account, opening it first if needed."""
        if not credentials.account_id or not credentials.token:
            raise CredentialsMissing("the MetaAPI account id and token are both needed")
        await self.close_idle()
        key = self._key(user_id, credentials)
        async with self._locks.setdefault(key, asyncio.Lock()):  # one opening per key
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = await self._open(key, credentials.token)
            entry.used = self._clock()
            if not entry.synchronized:
                await self._synchronize(key, entry)
            return entry.account

    async def disconnect(self, user_id: str, *, keep: Credentials | None = None) -> None:
        """Close and forget the user's connections, except the one made with `keep`."""
        kept = None if keep is None else self._key(user_id, keep)
        for key in [k for k in self._entries if k[0] == user_id and k != kept]:
            await self._evict(key)

    async def close_idle(self) -> None:
        """Close connections, and MetaApi objects, unused for longer than `Limits.idle`."""
        horizon = self._clock() - self._limits.idle
        for key in [k for k, e in self._entries.items() if e.used < horizon]:
            await self._evict(key)
        in_use = {e.fingerprint for e in self._entries.values()}
        for fingerprint in [f for f, a in self._apis.items() if a.used < horizon]:
            if fingerprint not in in_use:  # a MetaApi whose openings all failed, long ago
                self._close_api(fingerprint)

    async def aclose(self) -> None:
        """Close every connection and MetaApi object (process shutdown)."""
        for key in list(self._entries):
            await self._evict(key)
        for fingerprint in list(self._apis):
            self._close_api(fingerprint)
        await asyncio.sleep(self._limits.close_grace)  # the SDK closes sockets in tasks

    @property
    def open_connections(self) -> int:
        """Return how many RPC connections are cached."""
        return len(self._entries)

    def _key(self, user_id: str, credentials: Credentials) -> Key:
        return (user_id, credentials.account_id, self._fingerprint(credentials.token))

    def _fingerprint(self, token: str) -> str:
        return hmac.new(self._secret, token.encode(), hashlib.sha256).hexdigest()[:24]

    async def _open(self, key: Key, token: str) -> _Entry:
        user_id, account_id, fingerprint = key
        api = self._api(fingerprint, token)
        dropped = partial(self._dropped, key)
        timeout = self._limits.connect
        remote = await guarded(
            lambda: api.metatrader_account_api.get_account(account_id),
            timeout,
            Subject.ACCOUNT,
            dropped,
        )
        _check_state(account_id, str(getattr(remote, "state", "")))
        connection = unbounded(remote.get_rpc_connection)
        try:
            await guarded(lambda: connection.connect(), timeout, on_drop=dropped)
        except CopierError:
            await self._close_connection(connection)
            raise
        log.info("MetaAPI connection open for account %s of %s", account_id, user_id)
        account = MetaApiAccount(
            account_id,
            connection,
            limits=self._limits,
            now=self._now,
            on_drop=dropped,
            monotonic=self._clock,
        )
        return _Entry(account=account, connection=connection, fingerprint=fingerprint, used=0.0)

    async def _synchronize(self, key: Key, entry: _Entry) -> None:
        # A terminal may take longer than one attempt to synchronize: the connection stays
        # cached (idle expiry ends an abandoned one) and the next attempt waits on it again.
        seconds = self._limits.connect
        await guarded(
            lambda: entry.connection.wait_synchronized(seconds),
            seconds + 1,
            on_drop=partial(self._dropped, key),
        )
        entry.synchronized = True

    def _api(self, fingerprint: str, token: str) -> Any:
        api = self._apis.get(fingerprint)
        if api is None:
            opts: dict[str, Any] = {
                "requestTimeout": self._limits.trade,
                "connectTimeout": self._limits.connect,
                "retryOpts": {"retries": 2, "minDelayInSeconds": 1, "maxDelayInSeconds": 5},
            }
            if self._region:
                opts["region"] = self._region
            api = self._apis[fingerprint] = _Api(
                sdk=unbounded(lambda: self._sdk(token, opts)), used=0
            )
        api.used = self._clock()
        return api.sdk

    async def _dropped(self, key: Key, drop: Drop) -> None:
        if drop is Drop.TOKEN:  # every connection made with the refused token goes, then its api
            for other in [k for k in self._entries if k[2] == key[2]]:
                await self._evict(other)
            self._close_api(key[2])
        else:
            await self._evict(key)

    async def _evict(self, key: Key) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        await self._close_connection(entry.connection)
        if not any(e.fingerprint == entry.fingerprint for e in self._entries.values()):
            self._close_api(entry.fingerprint)
        log.info("MetaAPI connection closed for account %s of %s", key[1], key[0])

    async def _close_connection(self, connection: Any) -> None:
        try:
            await guarded(lambda: connection.close(), self._limits.read)
        except CopierError as e:  # closing is best effort: the entry is gone either way
            log.warning("closing a MetaAPI connection failed: %s", e)

    def _close_api(self, fingerprint: str) -> None:
        api = self._apis.pop(fingerprint, None)
        if api is not None:
            try:
                unbounded(api.sdk.close)
            except CopierError as e:
                log.warning("closing a MetaApi object failed: %s", e)


def _check_state(account_id: str, state: str) -> None:
    if state == "DEPLOYED":
        return
    if state in COMING_UP:
        raise BrokerUnavailable(f"MetaAPI account {account_id} is {state.lower()}")
    raise BrokerRejected(
        f"MetaAPI account {account_id} is {state.lower() or 'not deployed'}: deploy it in MetaAPI",
        reason=Reason.ACCOUNT_NOT_DEPLOYED,
    )
