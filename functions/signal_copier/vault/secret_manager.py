"""Data keys in Secret Manager: the versions of one secret, each 32 random bytes (AES-256).

Read with the synchronous client off the event loop (it is thread-safe and needs no loop),
checked against the CRC32C the service sends, and cached per instance for a bounded time.
There is one secret for every user: per-user secrets would cost ≈ $60k a month and hit
quotas at a million users (SCALE_AND_COST.md).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import google_crc32c
import requests
from google.api_core import exceptions as google_errors
from google.api_core.client_options import ClientOptions
from google.auth import exceptions as auth_errors
from google.auth.credentials import AnonymousCredentials
from google.cloud.secretmanager import SecretManagerServiceClient

from signal_copier.core.errors import Retryable
from signal_copier.core.reasons import Reason
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.ttl import TtlCache

KEY_BYTES = 32
T = TypeVar("T")
_VERSION = re.compile(r"projects/[^/]+/secrets/[^/]+/versions/([1-9][0-9]*)")
_SECRET = re.compile(r"projects/[a-z0-9-]{4,30}/secrets/[A-Za-z0-9_-]{1,255}")


class VaultUnavailable(Retryable):
    """The key service or the secrets' store cannot answer correctly right now: redeliver."""

    reason = Reason.VAULT_UNAVAILABLE


@dataclass(frozen=True, slots=True)
class DataKey:
    """One version of the data key; the bytes never appear in a repr."""

    version: str
    key: bytes

    def __repr__(self) -> str:
        return f"DataKey(version={self.version!r}, key=***)"


def secret_path(project: str, secret: str) -> str:
    """Return the full name of the data-key secret (`secret` may already be one)."""
    path = secret if secret.startswith("projects/") else f"projects/{project}/secrets/{secret}"
    if not _SECRET.fullmatch(path):
        raise ValueError(f"not a Secret Manager secret name: {path!r}")
    return path


def client_for(endpoint: str = "") -> SecretManagerServiceClient:
    """Return a Secret Manager client; with `endpoint`, an anonymous REST client for a stand-in."""
    if not endpoint:
        return SecretManagerServiceClient()
    return SecretManagerServiceClient(
        transport="rest",
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
        client_options=ClientOptions(api_endpoint=endpoint),
    )


async def read_texts(
    secrets: Sequence[str], client_factory: Callable[[], SecretManagerServiceClient] = client_for
) -> list[str]:
    """Return the newest version of each secret as text (deployment secrets: bot token, ...).

    CRC32C checked like the data keys; SecretUnreadable if a secret has no enabled version.
    """
    client = client_factory()
    try:
        return [await _text(client, secret) for secret in secrets]
    finally:
        client.transport.close()  # type: ignore[no-untyped-call]


async def _text(client: SecretManagerServiceClient, secret: str) -> str:
    name = f"{secret}/versions/latest"
    try:
        response = await asyncio.to_thread(client.access_secret_version, name=name)
    except _MISSING as e:
        raise SecretUnreadable(f"{secret}: no enabled version ({type(e).__name__})") from e
    except _UNAVAILABLE as e:
        raise VaultUnavailable(f"Secret Manager: {type(e).__name__}") from e
    data, payload = bytes(response.payload.data), response.payload
    if "data_crc32c" not in payload or google_crc32c.value(data) != payload.data_crc32c:
        raise VaultUnavailable(f"{secret}: CRC32C missing or wrong (corrupted in transit); retry")
    try:
        return data.decode().strip()  # `echo` adds a newline; no value here holds whitespace
    except UnicodeDecodeError as e:
        raise SecretUnreadable(f"{secret}: not UTF-8 text") from e


class SecretManagerKeys:
    """The `DataKeys` of the envelope vault: versions of one Secret Manager secret."""

    def __init__(
        self,
        secret: str,
        *,
        ttl: float = 300.0,
        client_factory: Callable[[], SecretManagerServiceClient] = client_for,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._secret = secret
        self._factory = client_factory
        self._client: SecretManagerServiceClient | None = None
        extra = {"clock": clock} if clock else {}
        self._latest: TtlCache[str, DataKey] = TtlCache(ttl=ttl, size=1, **extra)
        self._versions: TtlCache[str, bytes] = TtlCache(ttl=ttl, size=16, **extra)

    def __repr__(self) -> str:
        return f"SecretManagerKeys({self._secret!r})"

    async def latest(self, *, fresh: bool = False) -> DataKey:
        """Return the newest enabled version of the data key (cached unless `fresh`)."""
        cached = None if fresh else self._latest.get("latest")
        if cached is not None:
            return cached
        found = await self._access("latest")
        self._latest.put("latest", found)
        self._versions.put(found.version, found.key)
        return found

    async def version(self, version: str) -> bytes:
        """Return one version of the data key (the one a ciphertext was made under)."""
        if not version.isdigit():
            raise SecretUnreadable(f"data key version {version!r} is not a Secret Manager version")
        cached = self._versions.get(version)
        if cached is None:
            cached = (await self._access(version)).key
            self._versions.put(version, cached)
        return cached

    async def add_version(self, key: bytes) -> str:
        """Store `key` as the newest version of the secret; return its version."""
        if len(key) != KEY_BYTES:
            raise ValueError(f"a data key has {KEY_BYTES} bytes")
        request = {
            "parent": self._secret,
            "payload": {"data": key, "data_crc32c": google_crc32c.value(key)},
        }
        created = await self._call(lambda c: c.add_secret_version(request=request), "latest")
        self._latest.clear()
        return _version_of(created.name)

    def forget(self) -> None:
        """Drop every cached key."""
        self._latest.clear()
        self._versions.clear()

    async def _access(self, version: str) -> DataKey:
        name = f"{self._secret}/versions/{version}"
        response = await self._call(lambda c: c.access_secret_version(name=name), version)
        data = bytes(response.payload.data)
        if "data_crc32c" not in response.payload:
            raise VaultUnavailable(f"{name}: the service sent no CRC32C; refusing the key")
        if google_crc32c.value(data) != response.payload.data_crc32c:
            raise VaultUnavailable(f"{name}: CRC32C mismatch (corrupted in transit); retry")
        if len(data) != KEY_BYTES:
            raise SecretUnreadable(f"{name}: a data key has {KEY_BYTES} bytes, not {len(data)}")
        return DataKey(version=_version_of(response.name), key=data)

    async def _call(self, call: Callable[[SecretManagerServiceClient], T], version: str) -> T:
        if self._client is None:
            self._client = self._factory()
        client = self._client
        try:
            return await asyncio.to_thread(call, client)
        except _MISSING as e:
            detail = f"data key {self._secret} version {version}: {type(e).__name__}"
            raise SecretUnreadable(detail) from e
        except _UNAVAILABLE as e:
            raise VaultUnavailable(f"Secret Manager: {type(e).__name__}") from e


# One table from what Secret Manager raises to what the caller must do.
_MISSING: tuple[type[Exception], ...] = (
    google_errors.NotFound,  # no such secret or version
    google_errors.FailedPrecondition,  # the version is disabled or destroyed
)
_UNAVAILABLE: tuple[type[Exception], ...] = (
    google_errors.PermissionDenied,  # IAM being fixed: the redelivery may pass
    google_errors.Unauthenticated,
    google_errors.TooManyRequests,
    google_errors.ResourceExhausted,
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.Aborted,
    google_errors.Unknown,
    google_errors.RetryError,
    auth_errors.TransportError,
    auth_errors.RefreshError,
    requests.ConnectionError,  # the REST transport (used against a stand-in)
    requests.Timeout,
)


def _version_of(name: str) -> str:
    match = _VERSION.fullmatch(name)
    if match is None:
        raise VaultUnavailable(f"Secret Manager answered an unexpected version name {name!r}")
    return match.group(1)
