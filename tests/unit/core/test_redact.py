"""One redaction for stored details, notes and log lines: secrets go, trading text stays."""

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from signal_copier.core.errors import BrokerRejected
from signal_copier.core.redact import (
    MASK,
    bounded,
    describe_error,
    redact,
    redact_every_pattern,
)

JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0ZzEyMyIsImV4cCI6MX0.c2lnbmF0dXJlLXBhcnQtaGVyZQ"
BOT = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
SESSION = "1BVtsOKABu6Xk0gQ3eHZRQlp-Uy6Q9SC8eA9H8T6Vz4xJh2mPq_Rs7Tu8VwXyZ0"
API_HASH = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"HTTP 401 for {JWT}", JWT),
        ("Authorization: Bearer sk_live_9f8e7d6c5b4a", "sk_live_9f8e7d6c5b4a"),
        ('{"Authorization": "Bearer abc.def-ghi_jkl"}', "abc.def-ghi_jkl"),
        ("authorization=Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("retrying with bearer 0a1b2c3d4e5f6g7h", "0a1b2c3d4e5f6g7h"),
        (f"StringSession(session_string={SESSION})", SESSION),
        (f"client(api_id=1, api_hash={API_HASH})", API_HASH),
        (f"api_hash='{API_HASH}'", API_HASH),
        ("sign_in(phone_code_hash=4f6a1b2c9d)", "4f6a1b2c9d"),
        ("{'phone_code_hash': 'a1 b2'}", "a1 b2"),
        (f"POST https://api.telegram.org/bot{BOT}/sendMessage", BOT),
        (f"bot token {BOT}", BOT),
        ("GET /users/current/accounts?auth-token=tok3n-value-1", "tok3n-value-1"),
        ("url?access_token=abc123&page=2", "abc123"),
        ('{"token": "t0ken-alice", "x": 1}', "t0ken-alice"),
        ("password: hunter2", "hunter2"),
        ("token: AbCdEfGhIjKlMnOpQr", "AbCdEfGhIjKlMnOpQr"),
        ("secret=plainword", "plainword"),
        ("client_secret=s3cr3t", "s3cr3t"),
        ("postgres://copier:hunter2@db:5432/x", "hunter2"),
        (f"metaapi token {JWT} expired", JWT),
        ("key 3q2+7wABCDEFghijklMNOPqrstuv0123456789/xyzXYZ==", "3q2+7wABCDEFghijklMNOPqrstuv"),
        (f"loaded {SESSION}", SESSION),
        ("vault key " + "ab" * 32, "ab" * 32),
        (
            "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
            "-----END PRIVATE KEY-----",
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        ),
    ],
)
def test_secret_shaped_text_is_masked(text: str, secret: str) -> None:
    cleaned = redact(text)

    assert secret not in cleaned
    assert MASK in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "SL 2645.00 is on the wrong side of entry 2650.30 for XAUUSD.m",
        "price 1.08500 is 12.3 pips past the entry 1.08380",
        "margin 1234.56 USD exceeds free margin 99.10",
        "stale_signal: signal is 181s old (max 120s)",
        "intent 0123456789abcdef0123456789abcdef for alice: placed none",
        "close #12 sc0123456789abcdef01.2: no open position '12'",
        "account 1c5e7a3b-9d2f-4e8a-b6c1-0f9e8d7c6b5a is not deployed",
        "cannot read /tmp/pytest-of-root/pytest-12/test_replays0/state/copier.sqlite3",
        "message -1001234567890:812:1767605470 at 2026-01-05T09:30:00Z",
        "London session: 08:00-16:00, no tokens left today",
        "the free plan follows at most 2 channels",
        "TP1 2655 hit → SL to breakeven 2650.30 (+0.5 pips buffer)",
        "MetaAPI refused the token: connect your MetaAPI account again",
        "wrong password: try again",
    ],
)
def test_trading_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


# Texts made of trading words, secrets' names, separators and values: the shortcut for texts
# that cannot hold a secret must never skip one that the patterns would mask.
_WORDS = st.sampled_from([
    "market at 2650.30", "TP1 2655", "lots", "é", "ſ", "K", "0123456789", "AbCdEfGh", "xyz",
    " ", "\n", ":", "=", "/", "://", "@", "'", '"', "-", "_", "+", "==",
    "eyJ", "-----BEGIN X-----", "-----END X-----", JWT, BOT, SESSION, API_HASH, "ab" * 20,
    "12345:", "k" * 30, "9f" * 15,
])  # fmt: skip
_NAMES = st.sampled_from([
    "token", "Token", "access_token", "api_key", "api-hash", "apikey", "secret", "passwd",
    "password", "pwd", "session_id", "session-string", "auth_key", "private_key", "credential",
    "credentials", "signature", "phone_code_hash", "Authorization", "bearer", "Basic",
])  # fmt: skip
_SEPARATORS = st.sampled_from([":", "=", " ", ": ", " = ", '": "', "='", '"=', ":\t"])
_VALUES = st.sampled_from(["plain", "hunter2", "t0ken-alice", "a1b2c3d4e5", "AbCdEfGhIjKlMnOpQr"])
_ASSIGNMENT = st.tuples(_NAMES, _SEPARATORS, _VALUES).map("".join)


@settings(max_examples=500)
# The shortest text each pattern masks, alone: nothing else in it may trigger the shortcut.
@example("-----BEGIN A-----\nx\n-----END A-----")
@example("eyJabcd.efgh.i")
@example("Authorization: x")
@example("bearer abcdef")
@example("Basic abcdef")
@example("12345:" + "a" * 30)
@example("ftp://u:p@h")
@example("f" * 40)
@example("token=x")
@example("secret=x")
@example("passwd=x")
@example("pwd=x")
@example("api_key=x")
@example("phone_code_hash=x")
@example("session_id=x")
@example("auth_key=x")
@example("private_key=x")
@example("credentials=x")
@example("signature=x")
@example("token abcdefg1")
@example("aB3" * 11)
@given(st.lists(st.one_of(_ASSIGNMENT, _WORDS, st.text(max_size=12)), max_size=8).map("".join))
def test_a_text_is_redacted_as_if_every_pattern_ran_over_it(text: str) -> None:
    assert redact(text) == redact_every_pattern(text)


def test_redacting_twice_changes_nothing_more() -> None:
    once = redact(f"Authorization: Bearer {JWT} token={SESSION} bot{BOT}/getMe")

    assert redact(once) == once


def test_bounded_cuts_long_text_after_redacting() -> None:
    text = bounded("token=abc " + "x" * 5000, limit=100)

    assert len(text) == 100 and text.endswith("…") and "abc" not in text


def test_an_unexpected_error_reads_as_its_type_and_a_short_redacted_line() -> None:
    error = RuntimeError(f"upstream said:\n  Authorization: Bearer {JWT}\n" + "y" * 1000)

    shown = describe_error(error)

    assert shown.startswith("RuntimeError: upstream said: Authorization: ***")
    assert JWT not in shown and "\n" not in shown and len(shown) <= 300


def test_a_copier_error_reads_as_its_own_sentence() -> None:
    shown = describe_error(BrokerRejected("invalid stops (Bearer sk_live_9f8e7d6c5b4a)"))

    assert shown == "invalid stops (Bearer ***)"


def test_an_error_without_text_reads_as_its_type() -> None:
    assert describe_error(TimeoutError()) == "TimeoutError"


def test_a_secret_named_before_a_space_is_masked_when_it_looks_like_one() -> None:
    assert redact("invalid token t0ken-alice-77") == "invalid token ***"
    assert redact("token expired, session string missing") == (
        "token expired, session string missing"
    )
