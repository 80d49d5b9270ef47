"""Deterministic ids: the same message always yields the same keys downstream."""

from __future__ import annotations

import hashlib

CLIENT_ID_PREFIX = "sc"
CLIENT_ID_LEN = 20  # MetaAPI: comment + clientId <= 26 chars; leave room for a leg suffix


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


def leg_client_id(intent_client_id: str, leg: int) -> str:
    """Return the clientId of one leg (one TP) of an intent's orders."""
    return f"{intent_client_id}.{leg}"


def signal_ref(chat_id: str, message_id: int) -> str:
    """Return the key that links follow-ups (replies, edits) to the signal they refer to."""
    return f"{chat_id}:{message_id}"


def event_intent_id(user_id: str, client_id: str, position_id: str, kind: str) -> str:
    """Return the id under which one broker event is acted on once for a user."""
    raw = f"event|{user_id}|{client_id}|{position_id}|{kind}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]
