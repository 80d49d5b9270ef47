"""What the dashboard reads and the API writes beside the pipeline: audit, chats, bot health,
the signal log, login steps and callers. Plain values; the stores map them to rows and documents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from signal_copier.core.errors import Rejected
from signal_copier.core.reasons import Reason


class AuditAction(StrEnum):
    """Every change a user can make that the audit trail records."""

    CREDENTIALS_SAVED = "credentials_saved"
    CREDENTIALS_REFUSED = "credentials_refused"
    CREDENTIALS_REMOVED = "credentials_removed"
    TELEGRAM_CODE_SENT = "telegram_code_sent"
    TELEGRAM_LINKED = "telegram_linked"
    TELEGRAM_LINK_FAILED = "telegram_link_failed"
    TELEGRAM_LINK_CANCELLED = "telegram_link_cancelled"
    TELEGRAM_UNLINKED = "telegram_unlinked"
    CHANNEL_FOLLOWED = "channel_followed"
    CHANNEL_UNFOLLOWED = "channel_unfollowed"
    SETTINGS_CHANGED = "settings_changed"
    STARTED = "started"
    STOPPED = "stopped"
    KILL_SWITCH = "kill_switch"
    RESUMED = "resumed"
    SIGNED_IN = "signed_in"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEvent:
    """Who did what, when, from where; `detail` never holds a secret."""

    user_id: str
    action: AuditAction
    at: datetime
    ip: str = ""
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class ChatInfo:
    """A chat the user's Telegram session can read (written by the listener owning it)."""

    chat_id: str
    title: str = ""
    kind: str = "channel"  # channel | group | user


@dataclass(frozen=True, slots=True, kw_only=True)
class BotStatus:
    """Health of the user's Telegram session as the owning listener last saw it."""

    state: str = "unlinked"  # unlinked | connecting | running | stopped | error
    detail: str = ""
    updated: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEntry:
    """One message version of a chat as read once for everyone (the signal log).

    In Firestore it is the document `chats/{chatId}/log/{chat:msg:version}` with these fields
    (times as ISO UTC strings, `signals` and `command` as codec dicts).
    """

    key: str
    chat_id: str
    message_id: int
    version: int
    date: datetime
    kind: str  # open | modify | close | cancel | none | deleted
    text: str = ""
    reason: str = ""
    explain: tuple[str, ...] = ()
    chat_title: str = ""
    reply_to: int | None = None
    signals: tuple[dict[str, Any], ...] = ()
    command: dict[str, Any] | None = None


class LoginStage(StrEnum):
    """Where a Telegram account link stands after a step."""

    CODE_SENT = "code_sent"
    PASSWORD_NEEDED = "password_needed"
    LINKED = "linked"


@dataclass(frozen=True, slots=True, kw_only=True)
class LoginStep:
    """The next step of linking a Telegram account."""

    stage: LoginStage
    hint: str = ""  # e.g. where the code was sent, or the 2FA password hint


@dataclass(frozen=True, slots=True, kw_only=True)
class Caller:
    """A verified caller: the uid comes only from a verified token."""

    user_id: str
    claims: dict[str, Any] = field(default_factory=dict)


class NotAuthenticated(Rejected):
    """The request carries no valid credentials: sign in again."""

    reason = Reason.REJECTED


class TelegramLoginRejected(Rejected):
    """Linking the Telegram account failed; the message says what the user must do."""


class WrongCode(TelegramLoginRejected):
    """The login code is wrong: type it again."""


class CodeExpired(TelegramLoginRejected):
    """The login code expired: ask for a new one."""


class WrongPassword(TelegramLoginRejected):
    """The two-step verification password is wrong: type it again."""


class FloodWait(TelegramLoginRejected):
    """Telegram asks to wait before trying again."""

    def __init__(self, seconds: int) -> None:
        super().__init__(f"Telegram asks to wait {seconds} s before trying again")
        self.seconds = seconds


class PaymentRequired(TelegramLoginRejected):
    """Telegram wants a payment before sending a code to this number: use the Telegram app."""


class LoginEmailRequired(TelegramLoginRejected):
    """Telegram wants a login email set up first: do it in the Telegram app, then retry."""


class NoLoginInProgress(TelegramLoginRejected):
    """There is no pending login for this user: start again with the phone number."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """What the dashboard shows about a user's setup (no secrets): `users/{uid}/web/profile`."""

    user_id: str
    account_id: str = ""  # the connected MetaAPI account (its token is in the vault)
    margin_mode: str = ""  # hedging | netting | exchange
    currency: str = ""
    telegram_linked: bool = False
    step: str = "broker"  # onboarding: broker → telegram → channels → risk → start → done
