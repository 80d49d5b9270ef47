"""The Vault port by envelope encryption: AES-256-GCM per secret, data keys kept elsewhere.

A secret named `<kind>.<user id>` (`broker.tg123`) lives in the server-only document
`users/{uid}/private/{kind}` as {format, key_version, nonce, ciphertext}. The associated data
binds the format, the user, the kind and the key version, so a ciphertext copied to another
user, kind or version fails to decrypt. The data keys come from `DataKeys` (Secret Manager in
the cloud; a key file on the emulators). Decrypted secrets are cached briefly per instance;
putting or deleting a secret evicts it here at once (other instances within the cache's TTL).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from google.api_core import exceptions as google_errors
from google.cloud import firestore

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.secret_manager import DataKey, VaultUnavailable
from signal_copier.vault.ttl import TtlCache

if TYPE_CHECKING:
    from signal_copier.core.ports import Vault

FORMAT = 1
PRIVATE = "private"  # users/{uid}/private/{kind}: never readable by clients (firestore.rules)
MAX_SECRET_BYTES = 64 * 1024
NONCE_BYTES = 12
T = TypeVar("T")
_log = logging.getLogger(__name__)


class DataKeys(Protocol):
    """Where the data keys come from: the newest version, and any version by name."""

    async def latest(self, *, fresh: bool = False) -> DataKey:
        """Return the newest data key (cached unless `fresh`)."""
        ...

    async def version(self, version: str) -> bytes:
        """Return one version of the data key."""
        ...


def associated_data(owner: str, kind: str, key_version: str) -> bytes:
    """Return what a ciphertext is bound to: format, user, secret kind and key version."""
    return f"signal-copier-vault|{FORMAT}|{owner}|{kind}|{key_version}".encode()


class EnvelopeVault:
    """Encrypted secrets in Firestore, under data keys from `keys`."""

    def __init__(
        self,
        keys: DataKeys,
        *,
        project: str,
        database: str = "(default)",
        cache_ttl: float = 30.0,
        cache_size: int = 10_000,
        client_factory: Callable[[], firestore.AsyncClient] | None = None,
    ) -> None:
        self._keys = keys
        self._factory = client_factory or (
            lambda: firestore.AsyncClient(project=project, database=database)
        )
        self._client: firestore.AsyncClient | None = None
        self._plain: TtlCache[str, bytes] = TtlCache(ttl=cache_ttl, size=cache_size)

    def __repr__(self) -> str:
        return f"EnvelopeVault(keys={self._keys!r})"

    async def put(self, name: str, secret: bytes) -> None:
        """Encrypt a secret under the newest data key and store it, replacing any earlier one."""
        owner, kind = _parts(name)
        if not isinstance(secret, bytes) or len(secret) > MAX_SECRET_BYTES:
            raise InvalidInput(f"secret {name!r} must be at most {MAX_SECRET_BYTES} bytes")
        self._plain.evict(name)
        record = seal(await self._keys.latest(), owner, kind, secret)
        await _guard(self._document(owner, kind).set(record))
        self._plain.evict(name)  # a get() racing this put may have cached the old value

    async def get(self, name: str) -> bytes | None:
        """Return a decrypted secret, or None if there is none."""
        owner, kind = _parts(name)
        cached = self._plain.get(name)
        if cached is not None:
            return cached
        snapshot = await _guard(self._document(owner, kind).get())
        if not snapshot.exists:
            return None
        secret = await self.unseal(owner, kind, snapshot.to_dict() or {})
        self._plain.put(name, secret)
        return secret

    async def delete(self, name: str) -> None:
        """Remove a secret (no-op if there is none) and forget its cached plaintext."""
        owner, kind = _parts(name)
        self._plain.evict(name)
        await _guard(self._document(owner, kind).delete())

    async def unseal(self, owner: str, kind: str, record: dict[str, Any]) -> bytes:
        """Decrypt a stored record; SecretUnreadable if it is malformed, moved or tampered."""
        version, nonce, ciphertext = _fields(record, f"{kind}.{owner}")
        key = await self._keys.version(version)
        try:
            return AESGCM(key).decrypt(nonce, ciphertext, associated_data(owner, kind, version))
        except InvalidTag as e:
            detail = f"secret {kind}.{owner} failed to decrypt: tampered, moved or another key"
            raise SecretUnreadable(detail) from e

    def records(self, page_size: int = 200) -> AsyncIterator[Any]:
        """Yield every stored secret's document snapshot, in pages ordered by path."""
        return _pages(self._firestore().collection_group(PRIVATE), page_size)

    def client(self) -> firestore.AsyncClient:
        """Return the Firestore client (created on first use, inside the running loop)."""
        return self._firestore()

    async def aclose(self) -> None:
        """Close the Firestore channel and forget every cached plaintext."""
        self._plain.clear()
        client, self._client = self._client, None
        api = getattr(client, "_firestore_api_internal", None) if client else None
        if api is not None:  # AsyncClient has no public close; its GAPIC client does
            await api.transport.close()

    def _document(self, owner: str, kind: str) -> Any:
        return (
            self._firestore().collection("users").document(owner).collection(PRIVATE).document(kind)
        )

    def _firestore(self) -> firestore.AsyncClient:
        if self._client is None:
            self._client = self._factory()
        return self._client


def seal(key: DataKey, owner: str, kind: str, secret: bytes) -> dict[str, Any]:
    """Return the stored record of a secret encrypted under `key`."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    ciphertext = AESGCM(key.key).encrypt(nonce, secret, associated_data(owner, kind, key.version))
    return {
        "format": FORMAT,
        "key_version": key.version,
        "nonce": nonce,
        "ciphertext": ciphertext,
        "updated_at": firestore.SERVER_TIMESTAMP,
    }


def is_sealed(record: dict[str, Any]) -> bool:
    """Return True if a `private` document is one of this vault's records."""
    return "ciphertext" in record and "key_version" in record and "format" in record


def _parts(name: str) -> tuple[str, str]:
    kind, owner = ids.secret_parts(name)
    return owner, kind


def _fields(record: dict[str, Any], name: str) -> tuple[str, bytes, bytes]:
    version, nonce, ciphertext = (record.get(k) for k in ("key_version", "nonce", "ciphertext"))
    if record.get("format") != FORMAT:
        raise SecretUnreadable(f"secret {name}: unknown record format {record.get('format')!r}")
    if not (
        isinstance(version, str) and isinstance(nonce, bytes) and isinstance(ciphertext, bytes)
    ):
        raise SecretUnreadable(f"secret {name}: malformed record")
    if len(nonce) != NONCE_BYTES:
        raise SecretUnreadable(f"secret {name}: malformed nonce")
    return version, nonce, ciphertext


async def _pages(query: Any, size: int) -> AsyncIterator[Any]:
    cursor = None
    while True:
        page = query.order_by("__name__").limit(size)
        if cursor is not None:
            page = page.start_after(cursor)
        snapshots = await _guard(page.get())
        for snapshot in snapshots:
            yield snapshot
        if len(snapshots) < size:
            return
        cursor = snapshots[-1]


# One table from what Firestore raises to what the caller must do.
_UNAVAILABLE: tuple[type[Exception], ...] = (
    google_errors.ServiceUnavailable,
    google_errors.DeadlineExceeded,
    google_errors.InternalServerError,
    google_errors.Aborted,
    google_errors.ResourceExhausted,
    google_errors.TooManyRequests,
    google_errors.Unknown,
    google_errors.PermissionDenied,
    google_errors.Unauthenticated,
    google_errors.RetryError,
)


async def _guard(call: Awaitable[T]) -> T:
    try:
        return await call
    except google_errors.InvalidArgument as e:
        raise InvalidInput(f"Firestore refused a vault request: {e.message}") from e
    except _UNAVAILABLE as e:
        raise VaultUnavailable(f"Firestore: {type(e).__name__}") from e


if TYPE_CHECKING:

    class _Keys:
        async def latest(self, *, fresh: bool = False) -> DataKey: ...
        async def version(self, version: str) -> bytes: ...

    _conforms: Vault = EnvelopeVault(_Keys(), project="p")
