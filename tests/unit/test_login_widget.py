"""The legacy Login Widget check refuses every malformed or forged payload before any field is
used (SDK_NOTES §5.1)."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import pytest

from signal_copier.auth.widget import verify_widget
from signal_copier.core.dashboard import NotAuthenticated

BOT = "123456:ABC-test-token"
NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
MAX_AGE = timedelta(minutes=10)


def _signed(fields: dict[str, str], bot: str = BOT) -> dict[str, str]:
    check = "\n".join(f"{k}={fields[k]}" for k in sorted(fields)).encode()
    digest = hmac.new(hashlib.sha256(bot.encode()).digest(), check, hashlib.sha256).hexdigest()
    return {**fields, "hash": digest}


def _fields(**changes: str) -> dict[str, str]:
    base = {
        "id": "424242",
        "first_name": "Ada",
        "username": "ada",
        "auth_date": str(int(NOW.timestamp()) - 30),
    }
    return {**base, **changes}


def test_a_genuine_payload_is_accepted() -> None:
    fields = verify_widget(urlencode(_signed(_fields())), BOT, NOW, MAX_AGE)

    assert fields["id"] == "424242"


def test_a_tampered_field_is_refused() -> None:
    signed = _signed(_fields())
    signed["id"] = "1"

    with pytest.raises(NotAuthenticated, match="does not match"):
        verify_widget(urlencode(signed), BOT, NOW, MAX_AGE)


def test_a_payload_signed_with_another_bot_token_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="does not match"):
        verify_widget(urlencode(_signed(_fields(), "999:other")), BOT, NOW, MAX_AGE)


def test_a_missing_hash_is_refused() -> None:
    with pytest.raises(NotAuthenticated, match="hash"):
        verify_widget(urlencode(_fields()), BOT, NOW, MAX_AGE)


def test_a_duplicated_id_is_refused_even_when_one_copy_is_signed() -> None:
    query = urlencode(_signed(_fields())) + "&id=1"

    with pytest.raises(NotAuthenticated, match="twice"):
        verify_widget(query, BOT, NOW, MAX_AGE)


@pytest.mark.parametrize("offset", [timedelta(minutes=11), timedelta(days=400)])
def test_a_stale_auth_date_is_refused(offset: timedelta) -> None:
    fields = _fields(auth_date=str(int((NOW - offset).timestamp())))

    with pytest.raises(NotAuthenticated, match="too old"):
        verify_widget(urlencode(_signed(fields)), BOT, NOW, MAX_AGE)


def test_a_future_auth_date_is_refused() -> None:
    fields = _fields(auth_date=str(int((NOW + timedelta(minutes=5)).timestamp())))

    with pytest.raises(NotAuthenticated, match="future"):
        verify_widget(urlencode(_signed(fields)), BOT, NOW, MAX_AGE)


def test_a_value_with_a_newline_is_refused_though_correctly_signed() -> None:
    # "first_name=Ada\nid=1" would forge an extra line of the data-check string.
    fields = _fields(first_name="Ada\nid=1")

    with pytest.raises(NotAuthenticated, match="not acceptable"):
        verify_widget(urlencode(_signed(fields)), BOT, NOW, MAX_AGE)


@pytest.mark.parametrize("bad_id", ["abc", "-5", "0", "1.5", "99999999999999999999999"])
def test_a_non_integer_id_is_refused_though_correctly_signed(bad_id: str) -> None:
    with pytest.raises(NotAuthenticated, match="id"):
        verify_widget(urlencode(_signed(_fields(id=bad_id))), BOT, NOW, MAX_AGE)


@pytest.mark.parametrize("query", ["", "&&", "id", "%zz=1", "a" * 5000])
def test_garbage_is_refused(query: str) -> None:
    with pytest.raises(NotAuthenticated):
        verify_widget(query, BOT, NOW, MAX_AGE)
