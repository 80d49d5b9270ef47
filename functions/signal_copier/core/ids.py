"""Deterministic ids: the same message always yields the same keys downstream."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from signal_copier.core.errors import InvalidInput

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
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


# A deletion is its message's last version: it sorts after every edit (an edit's second is at
# most year 9999's, below 2^39), and it is computed from the chat and message ids alone.
DELETED_VERSION = ((1 << 39) - 1) << VERSION_HASH_BITS


# The late opening of a signal refused for want of a stop, completed by its levels or by an
# edit: one version per signal, so both routes open it under one intent id (once per user). Its
# second lies past every edit's (below the deletion's): never a message's own version.
LATE_OPENING_VERSION = ((1 << 39) - 2) << VERSION_HASH_BITS


def version_second(version: int) -> int:
    """Return the edit second of a version (0 for the original): versions are ordered by it."""
    return version >> VERSION_HASH_BITS


def version_made(version: int) -> datetime:
    """Return when a version was made: its edit second (the epoch for an original)."""
    return _EPOCH + timedelta(seconds=version_second(version))


def message_key(chat_id: str, message_id: int, version: int) -> str:
    """Return the dedupe key of one message version."""
    return f"{chat_id}:{message_id}:{version}"


# Kept for recent intents: the fan-out makes each id and its intent's execution checks it again.
@lru_cache(maxsize=4096)
def intent_id(chat_id: str, message_id: int, version: int, user_id: str, part: int = 0) -> str:
    """Return the id of one user's intent for one message version (a hash, safe as a doc id).

    `part` numbers the signals of a message that holds several.
    """
    raw = f"{chat_id}|{message_id}|{version}|{user_id}|{part}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


def client_id(intent: str) -> str:
    """Return the broker clientId for an intent: short, ASCII, deterministic."""
    return f"{CLIENT_ID_PREFIX}{intent[: CLIENT_ID_LEN - len(CLIENT_ID_PREFIX)]}"


_CLOSE_TAG = re.compile(
    rf"^{CLIENT_ID_PREFIX}[0-9a-f]{{{CLIENT_ID_LEN - len(CLIENT_ID_PREFIX)}}}\.c$"
)
_LEG = re.compile(
    rf"^({CLIENT_ID_PREFIX}[0-9a-f]{{{CLIENT_ID_LEN - len(CLIENT_ID_PREFIX)}}})\.\d+$"
)


def intent_client_of(order_client_id: str) -> str | None:
    """Return the intent clientId behind one of the copier's orders; None for anyone else's.

    The exact shape is checked, so a user's own EA tagging orders "scalper.1" is never ours.
    """
    match = _LEG.match(order_client_id)
    return match.group(1) if match else None


def close_tag(intent_client_id: str) -> str:
    """Return the clientId a follow-up's closes carry: its retry then finds its own closes."""
    return f"{intent_client_id}.c"


def kill_switch_tag(user_id: str, pressed: datetime) -> str:
    """Return the close tag of one press of a user's kill switch (no follow-up's own)."""
    raw = f"kill-switch|{user_id}|{pressed.isoformat()}".encode()
    return close_tag(client_id(hashlib.sha256(raw).hexdigest()[:32]))


def is_close_tag(client_id: str) -> bool:
    """Return whether a clientId is some follow-up's close tag (not a leg of a signal)."""
    return _CLOSE_TAG.match(client_id) is not None


def copier_intents(order_client_ids: Iterable[str]) -> set[str]:
    """Return the intent clientIds behind those of the given orders that the copier placed."""
    return {found for cid in order_client_ids if (found := intent_client_of(cid)) is not None}


def leg_client_id(intent_client_id: str, leg: int) -> str:
    """Return the clientId of one leg (one TP) of an intent's orders."""
    return f"{intent_client_id}.{leg}"


def signal_ref(chat_id: str, message_id: int) -> str:
    """Return the key that links follow-ups (replies, edits) to the signal they refer to."""
    return f"{chat_id}:{message_id}"


def ref_message(ref: str) -> int | None:
    """Return the signal message id a `signal_ref` names; None if it names none."""
    number = ref.rpartition(":")[2]  # chat ids never end the ref: the message id does
    return int(number) if number.lstrip("-").isdigit() else None


def event_intent_id(user_id: str, client_id: str, kind: str) -> str:
    """Return the id under which one broker event is acted on once for a user.

    Built from the copier's own clientId (one leg opens one position, which closes once), not
    from broker ticket numbers, so every poller and every replay names the event alike.
    """
    raw = f"event|{user_id}|{client_id}|{kind}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


# Ids that become Firestore document ids or Secret Manager names are checked against both
# alphabets. Firestore: no "/", not "." or "..", not "__…__", ≤ 1500 bytes. Secret Manager:
# [A-Za-z0-9_-]{1,255}. A safe id satisfies both, so it can be a path segment anywhere.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,128}")
_RESERVED = re.compile(r"__.*__")
_USER_ID = re.compile(r"tg([1-9][0-9]{0,19})")
_CHAT_ID = re.compile(r"-?[1-9][0-9]{0,19}|@[A-Za-z][A-Za-z0-9_]{3,31}")
USER_ID_PREFIX = "tg"


def is_firestore_id(value: str) -> bool:
    """Return True if `value` can be a Firestore document id (and so a path segment)."""
    return (
        isinstance(value, str)
        and 0 < len(value.encode("utf-8", "surrogatepass")) <= 1500
        and value.isprintable()
        and "/" not in value
        and value not in (".", "..")
        and not _RESERVED.fullmatch(value)
    )


def is_secret_manager_id(value: str) -> bool:
    """Return True if `value` fits Secret Manager's alphabet for names ([A-Za-z0-9_-]{1,255})."""
    return isinstance(value, str) and re.fullmatch(r"[A-Za-z0-9_-]{1,255}", value) is not None


def check_id(value: str, what: str) -> str:
    """Return `value` if it is safe as a Firestore id and a Secret Manager name; else raise.

    Raises InvalidInput naming `what` (user ids, vault kinds and other ids built from input).
    """
    if not (isinstance(value, str) and _SAFE_ID.fullmatch(value)) or _RESERVED.fullmatch(value):
        raise InvalidInput(f"{what}: must be 1-128 of A-Z a-z 0-9 _ - (not __…__), got {value!r}")
    return value


def check_chat_id(value: str) -> str:
    """Return a Telegram chat id ("-100123…", "123", "@name") if well formed; else raise."""
    if not (isinstance(value, str) and _CHAT_ID.fullmatch(value)):
        raise InvalidInput(f"chat_id: must be a Telegram id or @username, got {value!r}")
    return value


def user_id(telegram_id: int) -> str:
    """Return the copier's user id (`tg<id>`) of a Telegram account."""
    if isinstance(telegram_id, bool) or not isinstance(telegram_id, int) or telegram_id <= 0:
        raise InvalidInput(f"telegram id: must be a positive integer, got {telegram_id!r}")
    return f"{USER_ID_PREFIX}{telegram_id}"


def telegram_id(value: str) -> int:
    """Return the Telegram id behind a `tg<id>` user id; raise InvalidInput for anything else."""
    match = _USER_ID.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise InvalidInput(f"user_id: must be tg<telegram id>, got {value!r}")
    return int(match.group(1))


def secret_name(kind: str, owner: str) -> str:
    """Return the vault name of one of a user's secrets: `<kind>.<user id>` (`broker.tg123`)."""
    return f"{check_id(kind, 'secret kind')}.{check_id(owner, 'user_id')}"


def secret_parts(name: str) -> tuple[str, str]:
    """Return (kind, user id) of a vault name; raise InvalidInput if it is not one."""
    kind, dot, owner = name.partition(".") if isinstance(name, str) else ("", "", "")
    if not dot:
        raise InvalidInput(f"secret name: must be <kind>.<user id>, got {name!r}")
    return check_id(kind, "secret kind"), check_id(owner, "user_id")
