"""A fake Telegram at Telethon's network call layer: real TelegramClient, real requests and
results, Telethon's own exception classes; only connect/disconnect/_call are replaced.

No `from __future__ import annotations` here: the overridden methods must keep the exact
signatures (string annotations included) that tests compare with inspect.signature.
"""

import hashlib
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telethon import TelegramClient, errors, password, types
from telethon.crypto import AuthKey

# Telegram's published 2048-bit prime for 2FA (the one Telethon trusts without factoring).
PRIME = bytes.fromhex(
    "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d2"
    "2530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc97465129693284"
    "54f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a69581"
    "1051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d"
    "169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850c"
    "e929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b"
)
OVERRIDDEN = ("connect", "disconnect", "is_connected", "_call")


@dataclass
class FakeTelegram:
    """The server: phones, codes, one account, and which auth keys are logged in."""

    code: str = "12345"
    telegram_id: int = 777000111
    password: str | None = None
    hint: str = "pet"
    flood_seconds: int = 0
    sent_code: Any = None  # override what SendCodeRequest returns
    code_expired: bool = False
    unreachable: bool = False  # connecting fails as with no route to Telegram
    requests: list[str] = field(default_factory=list)
    authorized: set[bytes] = field(default_factory=set)
    awaiting_password: set[bytes] = field(default_factory=set)
    _srp: dict[int, tuple[int, int]] = field(default_factory=dict)  # srp_id → (b, v)

    def client_class(self) -> Any:
        """Return a TelegramClient subclass whose network calls reach this fake server."""
        server = self

        class NetworkClient(TelegramClient):  # type: ignore[misc]
            async def connect(self: "TelegramClient") -> None:
                if server.unreachable:
                    raise ConnectionError("Connection to Telegram failed 1 time(s)")
                if self.session.auth_key is None:  # what the key exchange would produce
                    self.session.set_dc(2, "149.154.167.51", 443)
                    self.session.auth_key = AuthKey(os.urandom(256))
                self._fake_connected = True

            def disconnect(self: "TelegramClient"):  # type: ignore[no-untyped-def]
                self._fake_connected = False
                return _done()

            def is_connected(self: "TelegramClient") -> bool:
                return bool(getattr(self, "_fake_connected", False))

            async def _call(
                self: "TelegramClient", sender, request, ordered=False, flood_sleep_threshold=None
            ):  # type: ignore[no-untyped-def]
                return server.handle(self.session.auth_key.key, request)

        return NetworkClient

    def handle(self, key: bytes, request: Any) -> Any:
        """Answer one request as Telegram would."""
        name = type(request).__name__
        self.requests.append(name)
        handler = getattr(self, f"_{name}", None)
        if handler is None:
            raise AssertionError(f"unexpected request {name}")
        return handler(key, request)

    def _GetUsersRequest(self, key: bytes, request: Any) -> Any:
        if key not in self.authorized:
            raise errors.AuthKeyUnregisteredError(request=request)
        return [self._user()]

    def _GetStateRequest(self, key: bytes, request: Any) -> Any:
        return types.updates.State(pts=1, qts=0, date=datetime.now(UTC), seq=1, unread_count=0)

    def _GetDifferenceRequest(self, key: bytes, request: Any) -> Any:
        return types.updates.DifferenceEmpty(date=datetime.now(UTC), seq=1)

    def _SendCodeRequest(self, key: bytes, request: Any) -> Any:
        if self.flood_seconds:
            raise errors.FloodWaitError(request=request, capture=self.flood_seconds)
        if self.sent_code is not None:
            return self.sent_code
        return types.auth.SentCode(
            type=types.auth.SentCodeTypeApp(length=len(self.code)), phone_code_hash="hash-1"
        )

    def _ResendCodeRequest(self, key: bytes, request: Any) -> Any:
        assert request.phone_code_hash == "hash-1"
        return types.auth.SentCode(
            type=types.auth.SentCodeTypeSms(length=len(self.code)), phone_code_hash="hash-1"
        )

    def _SignInRequest(self, key: bytes, request: Any) -> Any:
        if request.phone_code_hash != "hash-1":
            raise errors.PhoneCodeHashEmptyError(request=request)
        if self.code_expired:
            raise errors.PhoneCodeExpiredError(request=request)
        if request.phone_code != self.code:
            raise errors.PhoneCodeInvalidError(request=request)
        if self.password is not None:
            self.awaiting_password.add(key)
            raise errors.SessionPasswordNeededError(request=request)
        return self._authorize(key)

    def _GetPasswordRequest(self, key: bytes, request: Any) -> Any:
        assert self.password is not None
        algo = _algo()
        x = int.from_bytes(password.compute_hash(algo, self.password), "big")
        p, g = int.from_bytes(PRIME, "big"), algo.g
        v = pow(g, x, p)
        b = int.from_bytes(os.urandom(256), "big") % p
        k = int.from_bytes(hashlib.sha256(PRIME + g.to_bytes(256, "big")).digest(), "big")
        srp_b = (k * v + pow(g, b, p)) % p
        srp_id = len(self._srp) + 1
        self._srp[srp_id] = (b, v)
        return types.account.Password(
            new_algo=types.PasswordKdfAlgoUnknown(),
            new_secure_algo=types.SecurePasswordKdfAlgoUnknown(),
            secure_random=os.urandom(32),
            has_password=True,
            current_algo=algo,
            srp_B=srp_b.to_bytes(256, "big"),
            srp_id=srp_id,
            hint=self.hint,
        )

    def _CheckPasswordRequest(self, key: bytes, request: Any) -> Any:
        check = request.password
        b, v = self._srp.pop(check.srp_id)
        if key not in self.awaiting_password or not _srp_matches(check, b, v):
            raise errors.PasswordHashInvalidError(request=request)
        return self._authorize(key)

    def _LogOutRequest(self, key: bytes, request: Any) -> Any:
        if key not in self.authorized:
            raise errors.AuthKeyUnregisteredError(request=request)
        self.authorized.discard(key)
        return types.auth.LoggedOut()

    def _authorize(self, key: bytes) -> Any:
        self.authorized.add(key)
        return types.auth.Authorization(user=self._user())

    def _user(self) -> Any:
        return types.User(id=self.telegram_id, is_self=True, first_name="Trader", access_hash=42)


async def _done() -> None:
    return None


def _algo() -> Any:
    return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
        salt1=b"salt-one", salt2=b"salt-two", g=3, p=PRIME
    )


def _srp_matches(check: Any, b: int, v: int) -> bool:
    # The server side of SRP-2048 (core.telegram.org/api/srp), from what the client sent.
    sha = lambda *parts: hashlib.sha256(b"".join(parts)).digest()  # noqa: E731
    p, g, algo = int.from_bytes(PRIME, "big"), 3, _algo()
    g_bytes = g.to_bytes(256, "big")
    k = int.from_bytes(sha(PRIME, g_bytes), "big")
    srp_b = ((k * v + pow(g, b, p)) % p).to_bytes(256, "big")
    a = int.from_bytes(check.A, "big")
    u = int.from_bytes(sha(check.A, srp_b), "big")
    s = pow(a * pow(v, u, p) % p, b, p)
    m1 = sha(
        bytes(x ^ y for x, y in zip(sha(PRIME), sha(g_bytes), strict=True)),
        sha(algo.salt1),
        sha(algo.salt2),
        check.A,
        srp_b,
        sha(s.to_bytes(256, "big")),
    )
    return m1 == check.M1
