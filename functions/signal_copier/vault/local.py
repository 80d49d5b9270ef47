"""Local vault: AES-256-GCM secrets in files, under key files only this user can read.

A secret file is `SCV` + format version (1 byte) + key id (8 bytes) + nonce (12) + ciphertext;
the header and the secret's name are authenticated (AAD). Files of the first release (nonce +
ciphertext, AAD = name) are still read, and rewritten in the new format on their next write.

Decrypted secrets are cached per instance (bounded, 30 s), each under its file's identity
(inode, size, modification and change times): a file replaced or changed by anyone is read
again at once, even in place with its old times restored, and a put or delete here evicts it.

Rotation: `rotate_key()` keeps the current key as `vault.key.<key id>` and makes a new one;
old secrets decrypt with their key while its file exists; `rewrap()` re-encrypts them all under
the current key, after which the old key files may be deleted.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signal_copier.core.errors import CredentialsMissing, InvalidInput
from signal_copier.core.reasons import Reason
from signal_copier.files import private_folder, temporary_beside, write_atomic, write_new
from signal_copier.vault.ttl import TtlCache

if TYPE_CHECKING:
    from signal_copier.core.ports import Vault

KEY_BYTES = 32
NONCE_BYTES = 12
KEY_ID_BYTES = 8
MAGIC = b"SCV"
VERSION = 1
HEADER_BYTES = len(MAGIC) + 1 + KEY_ID_BYTES
_TAG_BYTES = 16
_NAME = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
_RETIRED = re.compile(rf"\.[0-9a-f]{{{KEY_ID_BYTES * 2}}}")  # vault.key.<key id>


class InsecureKeyFile(CredentialsMissing):
    """The vault key file can be read by other users; secrets stay locked until it is fixed."""

    reason = Reason.VAULT_KEY_INSECURE


class SecretUnreadable(CredentialsMissing):
    """A stored secret failed to decrypt (tampered, corrupt or under another key): reconnect."""

    reason = Reason.SECRET_UNREADABLE


class VaultKeyMissing(SecretUnreadable):
    """The key file is gone while secrets encrypted under it remain: restore it, never renew it."""


def key_id(key: bytes) -> bytes:
    """Return the id of a key: a hash of it, so the key file needs no id of its own."""
    return hashlib.sha256(b"signal-copier vault key id\0" + key).digest()[:KEY_ID_BYTES]


class LocalVault:
    """The `Vault` port on local files (see the module docstring for the format)."""

    def __init__(
        self, key_path: Path, data_dir: Path, *, cache_ttl: float = 30.0, cache_size: int = 10_000
    ) -> None:
        self._key_path = Path(key_path)
        self._data_dir = Path(data_dir)
        self._keys: dict[bytes, AESGCM] = {}  # key id → cipher, loaded on first use
        self._current: bytes | None = None
        # name → (the file's identity when read, its plaintext)
        self._plain: TtlCache[str, tuple[tuple[int, int, int, int], bytes]] = TtlCache(
            ttl=cache_ttl, size=cache_size
        )

    def __repr__(self) -> str:
        return f"LocalVault(key_path={str(self._key_path)!r}, data_dir={str(self._data_dir)!r})"

    async def put(self, name: str, secret: bytes) -> None:
        """Encrypt and store a secret under the current key, replacing any previous one."""
        path = self._path(name)
        if not isinstance(secret, bytes):
            raise InvalidInput(f"secret {name!r} must be bytes")
        private_folder(self._data_dir)
        self._plain.evict(name)
        write_atomic(path, self._seal(name, secret))

    async def get(self, name: str) -> bytes | None:
        """Return a decrypted secret, or None if there is none."""
        path = self._path(name)
        try:
            seen = path.stat()
        except FileNotFoundError:
            self._plain.evict(name)
            return None
        # ctime too: no one can set it back (cp -p, rsync --inplace and utime set the mtime).
        identity = (seen.st_ino, seen.st_size, seen.st_mtime_ns, seen.st_ctime_ns)
        cached = self._plain.get(name)
        if cached is not None and cached[0] == identity:
            return cached[1]
        try:
            blob = path.read_bytes()
        except FileNotFoundError:
            return None
        # Replaced between stat and read: the next get sees another identity and reads again.
        secret = self._open(name, path, blob)
        self._plain.put(name, (identity, secret))
        return secret

    async def delete(self, name: str) -> None:
        """Remove a secret (no-op if there is none)."""
        self._plain.evict(name)
        self._path(name).unlink(missing_ok=True)

    def rotate_key(self) -> str:
        """Make a new current key; keep the old one beside it for older secrets; return its id."""
        self._load()
        current = self._key_path.read_bytes()
        retired = self._retired_path(key_id(current))
        if not retired.exists():
            write_atomic(retired, current)
        write_atomic(self._key_path, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
        self._keys, self._current = {}, None
        self._plain.clear()
        return self._load().hex()

    async def rewrap(self) -> int:
        """Re-encrypt every secret under the current key (and format); return how many."""
        count = 0
        for path in sorted(self._data_dir.glob("*.enc")):
            name = path.name.removesuffix(".enc")
            await self.put(name, self._open(name, path, path.read_bytes()))
            count += 1
        return count

    def _seal(self, name: str, secret: bytes) -> bytes:
        current = self._load()
        header = MAGIC + bytes([VERSION]) + current
        nonce = secrets.token_bytes(NONCE_BYTES)
        return header + nonce + self._keys[current].encrypt(nonce, secret, header + name.encode())

    def _open(self, name: str, path: Path, blob: bytes) -> bytes:
        self._load()
        if len(blob) < NONCE_BYTES + _TAG_BYTES:
            raise SecretUnreadable(f"secret {name!r} is truncated ({path})")
        missing = ""
        if blob.startswith(MAGIC + bytes([VERSION])) and len(blob) >= HEADER_BYTES + _TAG_BYTES:
            header, body = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
            identifier = header[len(MAGIC) + 1 :]
            cipher = self._keys.get(identifier)
            opened = None if cipher is None else _decrypt(cipher, body, header + name.encode())
            if opened is not None:
                return opened
            if cipher is None:
                missing = f" (its key {identifier.hex()} is gone: {self._retired_path(identifier)})"
        # The first release's format (a random nonce may start like a header, so try it too).
        for cipher in self._keys.values():
            opened = _decrypt(cipher, blob, name.encode())
            if opened is not None:
                return opened
        raise SecretUnreadable(
            f"secret {name!r} failed to decrypt: tampered, corrupt or under another key{missing}"
        )

    def _load(self) -> bytes:
        if self._current is None:
            if not self._key_path.exists():
                self._refuse_if_secrets_exist()
                _create_key(self._key_path)
            key = _read_key(self._key_path)
            self._current = key_id(key)
            self._keys[self._current] = AESGCM(key)
            for retired in sorted(self._key_path.parent.glob(f"{self._key_path.name}.*")):
                if _RETIRED.fullmatch(retired.name.removeprefix(self._key_path.name)):
                    old = _read_key(retired)
                    self._keys.setdefault(key_id(old), AESGCM(old))
        return self._current

    def _refuse_if_secrets_exist(self) -> None:
        stored = list(self._data_dir.glob("*.enc")) if self._data_dir.is_dir() else []
        if stored:
            raise VaultKeyMissing(
                f"vault key {self._key_path} is missing but {len(stored)} secret(s) in "
                f"{self._data_dir} were encrypted under it: restore the key file from a backup, "
                "or delete those secrets and connect the accounts again"
            )

    def _retired_path(self, identifier: bytes) -> Path:
        return self._key_path.with_name(f"{self._key_path.name}.{identifier.hex()}")

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.fullmatch(name) or name in (".", ".."):
            raise InvalidInput("secret names are 1-128 of A-Z a-z 0-9 _ . : -")
        return self._data_dir / f"{name}.enc"


def _decrypt(cipher: AESGCM, blob: bytes, aad: bytes) -> bytes | None:
    try:
        return cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag:
        return None


def _read_key(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureKeyFile(
            f"vault key {path} is accessible to group or others "
            f"(mode {stat.S_IMODE(mode):03o}); run: chmod 600 {path}"
        )
    key = path.read_bytes()
    if len(key) != KEY_BYTES:
        raise SecretUnreadable(f"vault key {path} has {len(key)} bytes, expected {KEY_BYTES}")
    return key


def _create_key(path: Path) -> None:
    # Write a private temporary file, then link it into place: readers never see a partial key,
    # and if another process won the race, its key is kept.
    private_folder(path.parent)
    temporary = temporary_beside(path)
    try:
        write_new(temporary, AESGCM.generate_key(bit_length=KEY_BYTES * 8))
        os.link(temporary, path)
    except FileExistsError:
        pass
    finally:
        temporary.unlink(missing_ok=True)


if TYPE_CHECKING:
    _conforms: Vault = LocalVault(Path("key"), Path("data"))
