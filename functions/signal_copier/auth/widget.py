"""The legacy Telegram Login Widget: check the payload's HMAC before any field is used.

data-check string = the received fields except `hash`, sorted, `key=value`, joined by `\\n`;
hash = hex HMAC-SHA256 of it keyed by SHA-256 of the bot token (SDK_NOTES §5.1).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from signal_copier.core.dashboard import NotAuthenticated

_KEY = re.compile(r"^[a-z_]{1,32}$")
_HASH = re.compile(r"^[0-9a-f]{64}$")
_ID = re.compile(r"^[1-9][0-9]{0,19}$")
MAX_FIELDS = 12
MAX_LENGTH = 2048
CLOCK_SKEW = timedelta(seconds=60)


def verify_widget(query: str, bot_token: str, now: datetime, max_age: timedelta) -> dict[str, str]:
    """Return the widget's fields (`hash` too) once their hash and age check out.

    Raises:
        NotAuthenticated: the payload is malformed, forged, too old or from the future.
    """
    fields = _fields(query)
    received = fields.pop("hash", "")
    if not _HASH.match(received):
        raise NotAuthenticated("telegram widget: missing or malformed hash")
    check = "\n".join(f"{key}={fields[key]}" for key in sorted(fields)).encode()
    secret = hashlib.sha256(bot_token.encode()).digest()
    expected = hmac.new(secret, check, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, received):
        raise NotAuthenticated("telegram widget: the hash does not match")
    _check_age(fields.get("auth_date", ""), now, max_age)
    if not _ID.match(fields.get("id", "")):
        raise NotAuthenticated("telegram widget: id must be a positive integer")
    return {**fields, "hash": received}


def _fields(query: str) -> dict[str, str]:
    if len(query) > MAX_LENGTH:
        raise NotAuthenticated("telegram widget: payload too long")
    try:
        pairs = parse_qsl(query, strict_parsing=True, max_num_fields=MAX_FIELDS)
    except ValueError as e:
        raise NotAuthenticated("telegram widget: malformed payload") from e
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise NotAuthenticated(f"telegram widget: field {key!r} appears twice")
        if not _KEY.match(key) or "\n" in value or "\r" in value:
            raise NotAuthenticated(f"telegram widget: field {key!r} is not acceptable")
        fields[key] = value
    return fields


def _check_age(auth_date: str, now: datetime, max_age: timedelta) -> None:
    if not _ID.match(auth_date):
        raise NotAuthenticated("telegram widget: auth_date must be a unix time")
    age = now.timestamp() - int(auth_date)
    if age < -CLOCK_SKEW.total_seconds():
        raise NotAuthenticated("telegram widget: auth_date is in the future")
    if age > max_age.total_seconds():
        raise NotAuthenticated("telegram widget: the login is too old; log in again")
