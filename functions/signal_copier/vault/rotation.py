"""Re-encrypt every envelope-vault record under the newest data key version.

Resumable by construction: a record already under the newest version is skipped, and each
record is re-encrypted in its own transaction that re-reads it first, so a run that stops
half-way, a second run, or a user changing their credentials meanwhile never loses a secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from google.cloud import firestore

from signal_copier.core import ids
from signal_copier.core.errors import InvalidInput
from signal_copier.vault.envelope import DataKeys, EnvelopeVault, is_sealed, seal
from signal_copier.vault.local import SecretUnreadable
from signal_copier.vault.secret_manager import DataKey, VaultUnavailable


@dataclass(slots=True)
class Rotation:
    """What a rotation run found, counted as it goes."""

    newest: str = ""
    checked: int = 0
    rewrapped: int = 0
    current: int = 0
    unreadable: int = 0
    foreign: int = 0  # other documents in `private` collections (not vault records)

    def line(self) -> str:
        """Return a one-line progress report."""
        return (
            f"checked {self.checked} · re-encrypted {self.rewrapped} · already under "
            f"version {self.newest} {self.current} · unreadable {self.unreadable} · "
            f"not vault records {self.foreign}"
        )


async def rotate(
    vault: EnvelopeVault,
    keys: DataKeys,
    *,
    page_size: int = 200,
    progress: Callable[[Rotation], None] | None = None,
) -> Rotation:
    """Re-encrypt every record not under the newest data key; report progress per page."""
    newest = await keys.latest(fresh=True)
    found = Rotation(newest=newest.version)
    async for snapshot in vault.records(page_size):
        found.checked += 1
        await _one(vault, snapshot, newest, found)
        if progress is not None and found.checked % page_size == 0:
            progress(found)
    if progress is not None:
        progress(found)
    return found


async def _one(vault: EnvelopeVault, snapshot: Any, newest: DataKey, found: Rotation) -> None:
    owner_kind = _owner_kind(snapshot.reference)
    record = snapshot.to_dict() or {}
    if owner_kind is None or not is_sealed(record):
        found.foreign += 1
    elif record["key_version"] == newest.version:
        found.current += 1
    else:
        try:
            changed = await rewrap(vault, snapshot.reference, newest)
        except SecretUnreadable:
            found.unreadable += 1
            return
        if changed:
            found.rewrapped += 1
        else:
            found.current += 1  # rewritten meanwhile (by a put or another run)


async def rewrap(vault: EnvelopeVault, reference: Any, newest: DataKey) -> bool:
    """Re-encrypt one record under `newest` in a transaction; False if there was nothing to do."""
    owner_kind = _owner_kind(reference)
    if owner_kind is None:
        return False
    owner, kind = owner_kind

    @firestore.async_transactional
    async def body(transaction: Any) -> bool:
        snapshot = await reference.get(transaction=transaction)
        record = (snapshot.to_dict() or {}) if snapshot.exists else {}
        if not is_sealed(record) or record["key_version"] == newest.version:
            return False
        secret = await vault.unseal(owner, kind, record)
        transaction.set(reference, seal(newest, owner, kind, secret))
        return True

    try:
        return bool(await body(vault.client().transaction()))
    except ValueError as e:  # the SDK's "failed to commit in N attempts": contention
        raise VaultUnavailable(f"re-encrypting {reference.path} kept conflicting") from e


def _owner_kind(reference: Any) -> tuple[str, str] | None:
    # Only users/{uid}/private/{kind}: other `private` collections are not the vault's.
    user = reference.parent.parent
    if user is None or user.parent.id != "users" or user.parent.parent is not None:
        return None
    try:
        return ids.check_id(user.id, "user_id"), ids.check_id(reference.id, "secret kind")
    except InvalidInput:
        return None
