"""Telethon's errors → what the caller must do: the one explicit table of this adapter.

`SessionPasswordNeededError` is deliberately absent: it is an UnauthorizedError too, but it
means "ask for the 2FA password", never "the session is dead" (login.py handles it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telethon import errors

from signal_copier.core.dashboard import (
    CodeExpired,
    NoLoginInProgress,
    TelegramLoginRejected,
    WrongCode,
    WrongPassword,
)
from signal_copier.core.errors import CopierError
from signal_copier.core.fleet import (
    ChatAccessLost,
    SessionRevoked,
    TelegramFloodWait,
    TelegramUnavailable,
)

_REVOKED = "Telegram no longer accepts this session: link your Telegram account again"
_LOST = "the session can no longer read this chat"

Translate = Callable[[BaseException], CopierError]
TABLE: dict[type[BaseException], Translate] = {
    # The session is dead: mark the link broken and tell the user; never retried.
    errors.AuthKeyUnregisteredError: lambda e: SessionRevoked(_REVOKED),
    errors.SessionRevokedError: lambda e: SessionRevoked(_REVOKED),
    errors.SessionExpiredError: lambda e: SessionRevoked(_REVOKED),
    errors.AuthKeyDuplicatedError: lambda e: SessionRevoked(
        "Telegram saw this session used from two places at once and ended it: link again"
    ),
    errors.UserDeactivatedError: lambda e: SessionRevoked("the Telegram account was deleted"),
    errors.UserDeactivatedBanError: lambda e: SessionRevoked("the Telegram account was banned"),
    # Wait as long as Telegram says.
    errors.FloodWaitError: lambda e: TelegramFloodWait(getattr(e, "seconds", 60)),
    errors.FloodPremiumWaitError: lambda e: TelegramFloodWait(getattr(e, "seconds", 60)),
    errors.SlowModeWaitError: lambda e: TelegramFloodWait(getattr(e, "seconds", 60)),
    # Login steps the user can fix (the dashboard's TelegramLogin errors).
    errors.PhoneCodeInvalidError: lambda e: WrongCode("the code is wrong: check it, type it again"),
    errors.PhoneCodeEmptyError: lambda e: WrongCode("enter the code Telegram sent you"),
    errors.PhoneCodeExpiredError: lambda e: CodeExpired("the code expired: request a new one"),
    errors.PhoneCodeHashEmptyError: lambda e: NoLoginInProgress("no code was sent: send one"),
    errors.PasswordHashInvalidError: lambda e: WrongPassword("the password is wrong: try again"),
    errors.PhoneNumberInvalidError: lambda e: _refused("the phone number is not valid"),
    errors.PhoneNumberBannedError: lambda e: _refused("Telegram has banned this phone number"),
    errors.PhoneNumberUnoccupiedError: lambda e: _refused(
        "no Telegram account uses this phone number: sign up in a Telegram app first"
    ),
    errors.PhoneNumberFloodError: lambda e: _refused(
        "Telegram refuses more codes for this number for now: try again later"
    ),
    errors.PhonePasswordFloodError: lambda e: _refused(
        "too many password attempts: Telegram blocks them for a while, try again later"
    ),
    errors.SendCodeUnavailableError: lambda e: _refused(
        "Telegram cannot send another code now: wait for the last one or try later"
    ),
    # The chat is gone for this session: unsubscribe and tell the user.
    errors.ChannelPrivateError: lambda e: ChatAccessLost(_LOST),
    errors.ChatForbiddenError: lambda e: ChatAccessLost(_LOST),
    errors.ChannelInvalidError: lambda e: ChatAccessLost(_LOST),
    errors.UserBannedInChannelError: lambda e: ChatAccessLost(_LOST),
    # Telegram or the network failed: retry with backoff.
    errors.ServerError: lambda e: TelegramUnavailable(f"Telegram: {type(e).__name__}"),
    errors.TimedOutError: lambda e: TelegramUnavailable("Telegram timed out"),
    ConnectionError: lambda e: TelegramUnavailable(f"network: {e}"),
    OSError: lambda e: TelegramUnavailable(f"network: {e}"),
    asyncio.TimeoutError: lambda e: TelegramUnavailable("Telegram timed out"),
}


def _refused(detail: str) -> CopierError:
    return TelegramLoginRejected(detail)


def translate(error: BaseException) -> CopierError | None:
    """Return our error for a Telethon (or network) error, by its most specific known class."""
    for cls in type(error).__mro__:
        make = TABLE.get(cls)
        if make is not None:
            return make(error)
    return None
