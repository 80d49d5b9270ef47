"""Deterministic ids: the same message always yields the same keys downstream."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

VERSION_HASH_BITS = 24  # two edits within one second stay two versions (collision 1 in 16M)
CLIENT_ID_PREFIX = "sc"
CLIENT_ID_LEN = 20  # MetaAPI: comment + clientId <= 26 chars; leave room for a leg suffix


def message_version(edit_unix_seconds: int | None, text: str) -> int:
    """Return a message version from Telegram data alone: 0 for the original message.

    An edit's version is its edit time in unix seconds, shifted, plus a short hash of its
    text: two edits within one second are two versions, a redelivered edit is the same one.
    """
    if edit_unix_seconds is None:
        return 0
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    short = int.from_bytes(digest[:4], "big") >> (32 - VERSION_HASH_BITS)
    return (edit_unix_seconds << VERSION_HASH_BITS) | short


def version_second(version: int) -> int:
    """Return the edit second of a version (0 for the original): versions are ordered by it."""
    return version >> VERSION_HASH_BITS


def message_key(chat_id: str, message_id: int, version: int) -> str:
    """Return the dedupe key of one message version."""
    return f"{chat_id}:{message_id}:{version}"


def intent_id(chat_id: str, message_id: int, version: int, user_id: str, part: int = 0) -> str:
    """Return the id of one user's intent for one message version (a hash, safe as a doc id).

    `part` numbers the signals of a message that holds several.
    """
    raw = f"{chat_id}|{message_id}|{version}|{user_id}|{part}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def client_id(intent: str) -> str:
    """Return the broker clientId for an intent: short, ASCII, deterministic."""
    return f"{CLIENT_ID_PREFIX}{intent[: CLIENT_ID_LEN - len(CLIENT_ID_PREFIX)]}"


_LEG = re.compile(
    rf"^({CLIENT_ID_PREFIX}[0-9a-f]{{{CLIENT_ID_LEN - len(CLIENT_ID_PREFIX)}}})\.\d+$"
)


def intent_client_of(order_client_id: str) -> str | None:
    """Return the intent clientId behind one of the copier's orders; None for anyone else's.

    The exact shape is checked, so a user's own EA tagging orders "scalper.1" is never ours.
    """
    match = _LEG.match(order_client_id)
    return match.group(1) if match else None


def copier_intents(order_client_ids: Iterable[str]) -> set[str]:
    """Return the intent clientIds behind those of the given orders that the copier placed."""
    return {found for cid in order_client_ids if (found := intent_client_of(cid)) is not None}


def leg_client_id(intent_client_id: str, leg: int) -> str:
    """Return the clientId of one leg (one TP) of an intent's orders."""
    return f"{intent_client_id}.{leg}"


def signal_ref(chat_id: str, message_id: int) -> str:
    """Return the key that links follow-ups (replies, edits) to the signal they refer to."""
    return f"{chat_id}:{message_id}"


def event_intent_id(user_id: str, client_id: str, kind: str) -> str:
    """Return the id under which one broker event is acted on once for a user.

    Built from the copier's own clientId (one leg opens one position, which closes once), not
    from broker ticket numbers, so every poller and every replay names the event alike.
    """
    raw = f"event|{user_id}|{client_id}|{kind}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]
